import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { assertApiError } from '../support/assert-api-error.js'
import type { CliClient } from '../support/cli-client.js'
import { deploymentWith, importDeployment, stackResource } from '../support/state.js'
import { type TestServer, useTestServer } from '../support/test-server.js'
import { eventually } from '../support/update-uploads.js'

interface Hit {
  urn: string
  name: string
  type: string
  project: string
  stack: string
  package: string
  module: string
  protected: boolean
  modified: string
}
interface Answer {
  total: number
  resources: Hit[]
  pagination: { next?: string; previous?: string }
}

function resource(
  project: string,
  stack: string,
  type: string,
  name: string,
  extra: Record<string, unknown> = {},
) {
  return {
    urn: `urn:pulumi:${stack}::${project}::${type}::${name}`,
    custom: true,
    id: `${name}-id`,
    type,
    inputs: {},
    outputs: {},
    ...extra,
  }
}

describe('resource search (GET /api/orgs/{org}/search/resourcesv2)', () => {
  let cli: CliClient
  let server: TestServer
  useTestServer({}, async (started) => {
    server = started
    cli = started.client
    const states: [string, string, Record<string, unknown>[]][] = [
      [
        'web',
        'dev',
        [
          resource('web', 'dev', 'aws:s3/bucket:Bucket', 'assets', { modified: '2025-01-10T00:00:00Z' }),
          resource('web', 'dev', 'aws:s3/bucket:Bucket', 'logs', {
            protect: true,
            modified: '2025-03-01T00:00:00Z',
          }),
          resource('web', 'dev', 'aws:ec2/instance:Instance', 'server', { modified: '2025-02-01T00:00:00Z' }),
        ],
      ],
      [
        'web',
        'prod',
        [
          resource('web', 'prod', 'aws:s3/bucket:Bucket', 'assets', { modified: '2025-01-20T00:00:00Z' }),
          resource('web', 'prod', 'gcp:storage/bucket:Bucket', 'backup', {
            modified: '2025-04-01T00:00:00Z',
          }),
        ],
      ],
      ['api', 'dev', [resource('api', 'dev', 'random:index/randomString:RandomString', 'my token')]],
    ]
    for (const [project, stack, resources] of states) {
      await cli.call('POST', `/api/stacks/acme/${project}`, { body: { stackName: stack } })
      await importDeployment(
        cli,
        `/api/stacks/acme/${project}/${stack}`,
        deploymentWith([stackResource(project, stack), ...resources]),
      )
    }
    // The index follows new versions through a queue drained by a background job: wait for it.
    await started.app.jobs.runOnce()
  })

  const search = (query: string, extra = '') =>
    cli.call<Answer>('GET', `/api/orgs/acme/search/resourcesv2?query=${encodeURIComponent(query)}${extra}`)
  const names = async (query: string) =>
    (await search(query, '&sort=urn')).body.resources.map((r) => `${r.project}/${r.stack}/${r.name}`).sort()

  it('answers every resource of the latest states with an empty query, in the Cloud shape', async () => {
    const all = await search('')
    assert.equal(all.body.total, 9)
    const logs = all.body.resources.find((r) => r.name === 'logs')
    assert.equal(logs?.type, 'aws:s3/bucket:Bucket')
    assert.equal(logs?.package, 'aws')
    assert.equal(logs?.module, 's3')
    assert.equal(logs?.protected, true)
    assert.equal(logs?.modified, '2025-03-01T00:00:00.000Z')
  })

  it('filters by each field', async () => {
    assert.deepEqual(await names('type:aws:s3/bucket:Bucket'), [
      'web/dev/assets',
      'web/dev/logs',
      'web/prod/assets',
    ])
    assert.deepEqual(await names('name:assets'), ['web/dev/assets', 'web/prod/assets'])
    assert.deepEqual(await names('project:api'), ['api/dev/api-dev', 'api/dev/my token'])
    assert.deepEqual(await names('stack:prod -type:pulumi:pulumi:Stack'), [
      'web/prod/assets',
      'web/prod/backup',
    ])
    assert.deepEqual(await names('package:gcp'), ['web/prod/backup'])
    assert.deepEqual(await names('module:ec2'), ['web/dev/server'])
    assert.deepEqual(await names('protected:true'), ['web/dev/logs'])
    assert.deepEqual(await names('modified:>2025-02-15 modified:<2025-12-31'), [
      'web/dev/logs',
      'web/prod/backup',
    ])
    assert.deepEqual(await names('modified:<=2025-01-20'), ['web/dev/assets', 'web/prod/assets'])
    assert.deepEqual(await names('name:"my token"'), ['api/dev/my token'])
    assert.deepEqual(await names('type:*Bucket package:aws'), [
      'web/dev/assets',
      'web/dev/logs',
      'web/prod/assets',
    ])
  })

  it('negates, combines, repeats a field as either value, and matches free text in the URN', async () => {
    assert.deepEqual(await names('type:aws:s3/bucket:Bucket -stack:dev'), ['web/prod/assets'])
    assert.deepEqual(await names('name:assets name:backup'), [
      'web/dev/assets',
      'web/prod/assets',
      'web/prod/backup',
    ])
    assert.deepEqual(await names('project:web stack:dev -name:logs -type:pulumi:pulumi:Stack'), [
      'web/dev/assets',
      'web/dev/server',
    ])
    assert.deepEqual(await names('server'), ['web/dev/server'])
    assert.deepEqual(await names('BUCKET prod'), ['web/prod/assets', 'web/prod/backup'])
    assert.deepEqual(await names('-bucket -pulumi:pulumi:Stack'), ['api/dev/my token', 'web/dev/server'])
  })

  it('pages and sorts as the Cloud does', async () => {
    const first = await search('', '&size=4&page=1&sort=name&asc=true')
    assert.equal(first.body.total, 9)
    assert.equal(first.body.resources.length, 4)
    assert.equal(first.body.pagination.previous, undefined)
    assert.match(first.body.pagination.next ?? '', /page=2/)
    const last = await search('', '&size=4&page=3&sort=name&asc=true')
    assert.equal(last.body.resources.length, 1)
    assert.equal(last.body.pagination.next, undefined)
    const names = [
      ...first.body.resources,
      ...(await search('', '&size=4&page=2&sort=name&asc=true')).body.resources,
      ...last.body.resources,
    ].map((r) => r.name)
    assert.deepEqual(names, [...names].sort())
    const newest = await search('', '&sort=modified')
    assert.equal(newest.body.resources[0]?.name !== undefined, true)
  })

  it('follows new state versions and stack deletion (incremental index)', async () => {
    await importDeployment(
      cli,
      '/api/stacks/acme/web/prod',
      deploymentWith([
        stackResource('web', 'prod'),
        resource('web', 'prod', 'aws:s3/bucket:Bucket', 'fresh'),
      ]),
    )
    // Without being told: the commit kicks the indexing job, which takes the stack in within moments.
    await eventually('the new version in the index', async () => {
      const found = await names('stack:prod -type:pulumi:pulumi:Stack')
      return found.length === 1 && found[0] === 'web/prod/fresh' ? found : undefined
    })
    // A stack deleted while still queued leaves nothing behind, in the index or in the queue.
    await importDeployment(
      cli,
      '/api/stacks/acme/api/dev',
      deploymentWith([stackResource('api', 'dev'), resource('api', 'dev', 'aws:s3/bucket:Bucket', 'late')]),
    )
    await cli.call('DELETE', '/api/stacks/acme/api/dev?force=true')
    await server.app.jobs.runOnce()
    assert.deepEqual(await names('project:api'), [])
    assert.deepEqual(await server.app.store.searchIndex.queued(10), [])
  })

  it('matches substrings of every length through the trigram index, case-insensitively', async () => {
    // Under three characters a trigram index cannot narrow: the answer must still be right.
    assert.deepEqual(await names('name:*ss*'), ['web/dev/assets'])
    assert.deepEqual(await names('name:A*'), ['web/dev/assets'])
    assert.deepEqual(await names('type:*INSTANCE*'), ['web/dev/server'])
    assert.deepEqual(await names('serv -name:server'), [])
    assert.deepEqual(await names('id:*-i*'), [
      'web/dev/assets',
      'web/dev/logs',
      'web/dev/server',
      'web/prod/fresh',
    ])
  })

  it('refuses bad syntax with 400 and a message', async () => {
    await assertApiError(search('colour:red'), 400, /unknown search field 'colour'/)
    await assertApiError(search('name:"unterminated'), 400, /unterminated quote/)
    await assertApiError(search('type:'), 400, /needs a value/)
    await assertApiError(search('modified:>yesterday'), 400, /not a date/)
    await assertApiError(search('name:>b'), 400, /only modified and created/)
    await assertApiError(search('protected:maybe'), 400, /true or false/)
    await assertApiError(search('- name:x'), 400, /lone "-"/)
    await assertApiError(search('', '&size=0'), 400, /size/)
    await assertApiError(search('', '&sort=colour'), 400, /cannot sort/)
    await assertApiError(cli.call('GET', '/api/orgs/nobody/search/resourcesv2'), 404)
  })
})

describe('resource search totals', () => {
  let cli: CliClient
  useTestServer({}, async (started) => {
    cli = started.client
    await cli.call('POST', '/api/stacks/acme/big', { body: { stackName: 'dev' } })
    const many = Array.from({ length: 10_050 }, (_, i) =>
      resource('big', 'dev', 'random:index/randomId:RandomId', `r${i}`),
    )
    await importDeployment(
      cli,
      '/api/stacks/acme/big/dev',
      deploymentWith([stackResource('big', 'dev'), ...many]),
    )
    await started.app.jobs.runOnce()
  })

  it('counts exactly up to 10,000 matches, and pages no further', async () => {
    const narrow = await cli.call<Answer>('GET', '/api/orgs/acme/search/resourcesv2?query=name:r1*&size=1')
    assert.equal(narrow.body.total, 1161) // r1, r10–r19, r100–r199, r1000–r1999, r10000–r10049
    const broad = await cli.call<Answer>('GET', '/api/orgs/acme/search/resourcesv2?size=500&page=20')
    assert.equal(broad.body.total, 10_000)
    assert.equal(broad.body.resources.length, 500)
    assert.equal(broad.body.pagination.next, undefined)
    await assertApiError(
      cli.call('GET', '/api/orgs/acme/search/resourcesv2?size=500&page=21'),
      400,
      /first 10000/,
    )
  })
})
