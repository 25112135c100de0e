// Per-environment permissions (-rbac-config environmentPolicies) and the audit of environment opens, against the
// real server in jwt mode.
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { assertApiError } from '../support/assert-api-error.js'
import { CliApiError, type CliClient } from '../support/cli-client.js'
import { queryDatabase } from '../support/db-query.js'
import { jwtClient } from '../support/jwt-client.js'
import { startTestServer, type TestServer } from '../support/test-server.js'

const SECRET = 'a-shared-hmac-secret-of-at-least-32-characters'
const POLICY = `
defaultPermission: none
groupRoles:
  - { group: ops, permission: admin }
  - { group: owners, permission: admin }
environmentPolicies:
  - { group: devs, projectPattern: "acme/app", permission: read }
  - { group: devs, environmentPattern: "acme/app/dev", permission: open }
  - { group: devs, environmentPattern: "acme/app/mine", permission: write }
  - { group: devs, environmentPattern: "acme/app/new-*", permission: write }
  - { group: ops, environmentPattern: "acme/vault/*", permission: open, effect: deny }
`
const ENVS = '/api/esc/environments/acme'
const yaml = (text: string) => ({ rawBody: Buffer.from(text) })

describe('ESC environments under per-environment permissions', () => {
  let server: TestServer
  let dir: string
  let dev: CliClient
  let ops: CliClient
  let outsider: CliClient
  let owner: CliClient
  const as = (sub: string, groups: string[]) => jwtClient(server.url, SECRET, { sub, groups })
  const auditActions = async (resource: string) => {
    return queryDatabase<{ action: string; result: string; actor: string }>(
      server.dbPath,
      'select action, result, actor from audit_events where resource = ? order by seq',
      [resource],
    )
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'esc-rbac-'))
    writeFileSync(join(dir, 'rbac.yaml'), POLICY)
    server = await startTestServer({
      dir,
      args: ['-auth-mode=jwt', `-jwt-signing-key=${SECRET}`, `-rbac-config=${join(dir, 'rbac.yaml')}`],
    })
    dev = await as('dana', ['devs'])
    ops = await as('olga', ['ops'])
    outsider = await as('otto', [])
    owner = await as('owen', ['owners'])
    for (const [project, name, secret] of [
      ['app', 'dev', 'dev-secret'],
      ['app', 'prod', 'prod-secret'],
      ['app', 'mine', 'mine-secret'],
      ['vault', 'root', 'root-secret'],
    ] as const) {
      await owner.call('POST', ENVS, { body: { project, name } })
      await owner.call(
        'PATCH',
        `${ENVS}/${project}/${name}`,
        yaml(`values:\n  s:\n    fn::secret: ${secret}\n`),
      )
    }
  })
  after(() => server.close())

  it('read shows ciphertext; open (and decrypt) needs the open level', async () => {
    const prod = `${ENVS}/app/prod`
    assert.match((await dev.call('GET', prod)).raw.toString(), /ciphertext: /)
    await assertApiError(
      dev.call('GET', `${prod}/decrypt`),
      403,
      /require open on environment acme\/app\/prod, have read/,
    )
    await assertApiError(dev.call('POST', `${prod}/open`), 403)
    // Checking shows secrets only to those who may open.
    await dev.call('POST', `${prod}/check`)
    await assertApiError(dev.call('POST', `${prod}/check?showSecrets=true`), 403, /require open/)
    await assertApiError(dev.call('PATCH', prod, yaml('values: {}\n')), 403)
    const opened = await dev.call<{ id: string }>('POST', `${ENVS}/app/dev/open`)
    const read = await dev.call<{ properties: { s: { value: string } } }>(
      'GET',
      `${ENVS}/app/dev/open/${opened.body.id}`,
    )
    assert.equal(read.body.properties.s.value, 'dev-secret')
    // Another user cannot read the session by its id.
    await assertApiError(ops.call('GET', `${ENVS}/app/dev/open/${opened.body.id}`), 404)
  })

  it('hides environments the caller may not read: 404, and absent from listings', async () => {
    await assertApiError(
      dev.call('GET', `${ENVS}/vault/root`),
      404,
      'Not Found: environment acme/vault/root not found',
    )
    await assertApiError(dev.call('DELETE', `${ENVS}/vault/root`), 404)
    await assertApiError(outsider.call('GET', `${ENVS}/app/dev`), 404)
    const listed = await dev.call<{ environments: { project: string; name: string }[] }>('GET', ENVS)
    assert.deepEqual(listed.body.environments.map((e) => `${e.project}/${e.name}`).sort(), [
      'app/dev',
      'app/mine',
      'app/prod',
    ])
    const all = await dev.call<{ environments: unknown[] }>('GET', '/api/esc/environments')
    assert.equal(all.body.environments.length, 3)
    assert.equal((await outsider.call<{ environments: unknown[] }>('GET', ENVS)).body.environments.length, 0)
  })

  it('write allows updates and creation by pattern; admin alone deletes; a deny of open caps an admin role', async () => {
    await dev.call('PATCH', `${ENVS}/app/mine`, yaml('values:\n  a: 1\n'))
    await dev.call('POST', ENVS, { body: { project: 'app', name: 'new-one' } })
    await assertApiError(dev.call('POST', ENVS, { body: { project: 'app', name: 'other' } }), 403)
    await assertApiError(dev.call('DELETE', `${ENVS}/app/mine`), 403)
    // The deny of open on acme/vault/* leaves ops (admin by group role) at read there.
    assert.match((await ops.call('GET', `${ENVS}/vault/root`)).raw.toString(), /ciphertext/)
    await assertApiError(ops.call('POST', `${ENVS}/vault/root/open`), 403, /require open .* have read/)
  })

  it('imports follow the caller: an unreadable import is missing, a read-only one cannot be opened', async () => {
    const diagnostics = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => assert.fail('expected a 400'),
        (e: unknown) => e,
      )
      assert.ok(error instanceof CliApiError && error.status === 400)
      return (JSON.parse(error.response.raw.toString()) as { diagnostics: { summary: string }[] }).diagnostics
    }
    const hidden = await diagnostics(
      dev.call('POST', `${ENVS}/yaml/open`, yaml('imports:\n  - vault/root\n')),
    )
    assert.equal(hidden[0]?.summary, 'environment "vault/root" not found')
    const readOnly = await diagnostics(
      dev.call('POST', `${ENVS}/yaml/open`, yaml('imports:\n  - app/prod\n')),
    )
    assert.match(readOnly[0]?.summary ?? '', /may read but not open environment "app\/prod"/)
    // Checking (no decryption) needs read only; showing secrets needs open.
    await dev.call('POST', `${ENVS}/yaml/check`, yaml('imports:\n  - app/prod\n'))
    const shown = await diagnostics(
      dev.call('POST', `${ENVS}/yaml/check?showSecrets=true`, yaml('imports:\n  - app/prod\n')),
    )
    assert.match(shown[0]?.summary ?? '', /may read but not open environment "app\/prod"/)
    // Writing an import of a read-only environment into an openable one does not open it either.
    await dev.call('PATCH', `${ENVS}/app/mine`, yaml('imports:\n  - app/prod\n'))
    await assertApiError(dev.call('POST', `${ENVS}/app/mine/open`), 400)
  })

  it('fn::open::pulumi-stacks reads only stacks the caller may read', async () => {
    await owner.call('POST', '/api/stacks/acme/web', { body: { stackName: 'dev' } })
    const doc = yaml(
      'values:\n  out:\n    fn::open::pulumi-stacks:\n      stacks:\n        a: { stack: web/dev }\n',
    )
    await owner.call('POST', `${ENVS}/yaml/open`, doc)
    const refused = await dev
      .call('POST', `${ENVS}/yaml/open`, doc)
      .then(() => undefined)
      .catch((e: unknown) => e)
    assert.ok(refused instanceof CliApiError && refused.status === 400)
    assert.match(refused.response.raw.toString(), /stack \\"web\/dev\\" not found/)
  })

  it('a ciphertext copied out of a read-only environment does not decrypt elsewhere', async () => {
    const sealed = (await dev.call('GET', `${ENVS}/app/prod`)).raw.toString()
    const refused = await dev
      .call('PATCH', `${ENVS}/app/mine`, yaml(sealed))
      .then(() => undefined)
      .catch((e: unknown) => e)
    assert.ok(refused instanceof CliApiError && refused.status === 400)
    assert.match(refused.response.raw.toString(), /decrypting: /)
    const anonymous = await dev
      .call('POST', `${ENVS}/yaml/open`, yaml(sealed))
      .then(() => undefined)
      .catch((e: unknown) => e)
    assert.ok(anonymous instanceof CliApiError && anonymous.status === 400)
  })

  it('audits opens, session reads and decrypted reads as well as changes', async () => {
    const opened = await dev.call<{ id: string }>('POST', `${ENVS}/app/dev/open`)
    await dev.call('GET', `${ENVS}/app/dev/open/${opened.body.id}`)
    await ops.call('GET', `${ENVS}/app/dev/decrypt`)
    await assertApiError(dev.call('GET', `${ENVS}/app/prod/decrypt`), 403)
    const dev_ = (await auditActions('acme/app/dev')).map((r) => `${r.actor} ${r.action} ${r.result}`)
    for (const line of [
      'owen UpdateEnvironment_esc_environments success',
      'dana OpenEnvironment_esc_environments success',
      'dana ReadOpenEnvironment_esc_environments success',
      'olga DecryptEnvironment_esc_environments success',
    ]) {
      assert.ok(dev_.includes(line), `${line} in ${dev_.join('; ')}`)
    }
    const prod = (await auditActions('acme/app/prod')).map((r) => `${r.actor} ${r.action} ${r.result}`)
    assert.ok(prod.includes('dana DecryptEnvironment_esc_environments denied'), prod.join('; '))
  })
})
