// The REST reads integrations make (dashboards, inventories, notifiers): resources at the latest or a given version,
// one resource by URN, counts, stack listings; secrets never appear.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { assertApiError } from '../support/assert-api-error.js'
import type { CliClient } from '../support/cli-client.js'
import { deploymentWith, importDeployment, stackResource } from '../support/state.js'
import { useTestServer } from '../support/test-server.js'

const STACK = '/api/stacks/acme/web/dev'
const SECRET = {
  '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270',
  ciphertext: 'v1:c2VjcmV0',
}
const BUCKET = 'urn:pulumi:dev::web::aws:s3/bucket:Bucket::assets'

interface ResourcesAnswer {
  region: string
  version: number
  resources: { resource: Record<string, unknown> }[]
}

describe('REST reads for integrations', () => {
  let cli: CliClient
  useTestServer({}, async (started) => {
    cli = started.client
    await cli.call('POST', '/api/stacks/acme/web', { body: { stackName: 'dev' } })
    await importDeployment(cli, STACK, deploymentWith([stackResource('web', 'dev', { url: 'https://x' })]))
    const bucket = {
      urn: BUCKET,
      custom: true,
      id: 'assets-1234',
      type: 'aws:s3/bucket:Bucket',
      inputs: { acl: 'private', password: SECRET },
      outputs: { arn: 'arn:aws:s3:::assets-1234', nested: [{ token: SECRET }] },
      protect: true,
    }
    await importDeployment(
      cli,
      STACK,
      deploymentWith([stackResource('web', 'dev', { url: 'https://y', key: SECRET }), bucket]),
    )
  })

  it('lists the latest resources with secrets masked', async () => {
    const latest = await cli.call<ResourcesAnswer>('GET', `${STACK}/resources/latest`)
    assert.equal(latest.body.version, 2)
    assert.equal(latest.body.region, '')
    assert.equal(latest.body.resources.length, 2)
    const [root, bucket] = latest.body.resources.map((r) => r.resource)
    assert.deepEqual(root?.outputs, { url: 'https://y', key: '[secret]' })
    assert.deepEqual(bucket?.inputs, { acl: 'private', password: '[secret]' })
    assert.deepEqual(bucket?.outputs, { arn: 'arn:aws:s3:::assets-1234', nested: [{ token: '[secret]' }] })
    assert.equal(bucket?.protect, true)
    assert.equal(bucket?.delete, false)
    assert.deepEqual(bucket?.dependencies, [])
    assert.equal(JSON.stringify(latest.body).includes('c2VjcmV0'), false, 'no ciphertext either')
  })

  it('reads an older version and one resource by URN (slashes escaped as the CLI escapes path parts)', async () => {
    const first = await cli.call<ResourcesAnswer>('GET', `${STACK}/resources/1`)
    assert.equal(first.body.version, 1)
    assert.deepEqual(first.body.resources[0]?.resource.outputs, { url: 'https://x' })
    const one = await cli.call<{ version: number; resource: { resource: Record<string, unknown> } }>(
      'GET',
      `${STACK}/resources/latest/${encodeURIComponent(BUCKET)}`,
    )
    assert.equal(one.body.resource.resource.id, 'assets-1234')
    assert.equal(one.body.version, 2)
    await assertApiError(
      cli.call('GET', `${STACK}/resources/1/${encodeURIComponent(BUCKET)}`),
      404,
      /no resource/,
    )
    await assertApiError(cli.call('GET', `${STACK}/resources/9`), 404, /does not exist/)
    await assertApiError(cli.call('GET', `${STACK}/resources/first`), 400, /invalid stack version/)
  })

  it('counts resources and lists stacks with lastUpdate and resourceCount', async () => {
    const count = await cli.call<{ resourceCount: number; version: number }>(
      'GET',
      `${STACK}/resources/count`,
    )
    assert.deepEqual(count.body, { resourceCount: 2, version: 2 })
    const listed = await cli.call<{
      stacks: { stackName: string; lastUpdate?: number; resourceCount?: number }[]
    }>('GET', '/api/user/stacks')
    const dev = listed.body.stacks.find((s) => s.stackName === 'dev')
    assert.equal(dev?.resourceCount, 2)
    assert.equal(typeof dev?.lastUpdate, 'number')
  })
})
