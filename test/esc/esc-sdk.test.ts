// The official ESC SDK's raw API client (@pulumi/esc-sdk) against the real server: `basePath` points at this
// server's /api/esc (its high-level client drops the port, so the raw client is what can be aimed here).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Configuration, EscApi } from '@pulumi/esc-sdk/esc/raw/index.js'
import { useTestServer } from '../support/test-server.js'

describe('@pulumi/esc-sdk raw client', () => {
  let api: EscApi
  useTestServer({}, (s) => {
    api = new EscApi(new Configuration({ basePath: `${s.url}/api/esc`, accessToken: s.token }))
  })

  it('creates, updates, lists, reads, opens and deletes an environment', async () => {
    await api.createEnvironment('acme', { project: 'sdk', name: 'app' })
    await api.updateEnvironmentYaml(
      'acme',
      'sdk',
      'app',
      'values:\n  color: blue\n  password:\n    fn::secret: pa55\n',
    )
    const list = await api.listEnvironments('acme')
    assert.ok(list.data.environments?.some((e) => e.project === 'sdk' && e.name === 'app'))
    const definition = await api.getEnvironment('acme', 'sdk', 'app')
    // The raw client hands back the YAML text; the secret is stored as ciphertext.
    assert.match(String(definition.data), /color: blue/)
    assert.doesNotMatch(String(definition.data), /pa55/)
    const opened = await api.openEnvironment('acme', 'sdk', 'app')
    assert.ok(opened.data.id)
    const read = await api.readOpenEnvironment('acme', 'sdk', 'app', opened.data.id)
    const props = read.data.properties as Record<string, { value: unknown; secret?: boolean }>
    assert.equal(props.color?.value, 'blue')
    assert.equal(props.password?.value, 'pa55')
    assert.equal(props.password?.secret, true)
    const one = await api.readOpenEnvironmentProperty('acme', 'sdk', 'app', opened.data.id, 'color')
    assert.equal((one.data as { value: unknown }).value, 'blue')
    const revisions = await api.listEnvironmentRevisions('acme', 'sdk', 'app')
    assert.deepEqual(
      revisions.data.map((r) => r.number),
      [2, 1],
    )
    const checked = await api.checkEnvironmentYaml('acme', 'values:\n  x: 1\n')
    assert.equal((checked.data.properties as Record<string, { value: unknown }>).x?.value, 1)
    await api.deleteEnvironment('acme', 'sdk', 'app')
    await assert.rejects(api.getEnvironment('acme', 'sdk', 'app'), (e: { response?: { status: number } }) => {
      assert.equal(e.response?.status, 404)
      return true
    })
  })
})
