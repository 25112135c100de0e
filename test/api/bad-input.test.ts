// Bad input outside running updates: names the CLI's validators refuse (and the dot segments), initial states that
// are not deployments, and JSON nested deeper than the server's recursive code can follow. Each is a 4xx with the
// CLI's error body and stores nothing.
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { describe, it } from 'node:test'
import { assertApiError } from '../support/assert-api-error.js'
import type { CliClient } from '../support/cli-client.js'
import { type TestServer, useTestServer } from '../support/test-server.js'
import { complete, createAndStart, leaseAuth, stackPath } from '../support/update-driver.js'
import { createStack, patchUpdate, verbatimBody } from '../support/update-uploads.js'

/** A request whose path is sent exactly as written: URL parsing would resolve `.` and `..` segments away. */
function callExact(
  server: TestServer,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: { code: number; message: string } }> {
  const url = new URL(server.url)
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
  const headers: Record<string, string> = { Authorization: `token ${server.token}` }
  if (payload) headers['Content-Type'] = 'application/json'
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
      )
    })
    req.on('error', reject)
    req.end(payload)
  })
}

const nested = (depth: number) => JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) as unknown

describe('bad input: names, initial states, nesting', () => {
  let server: TestServer
  let cli: CliClient
  useTestServer({}, (started) => {
    server = started
    cli = started.client
  })

  it('refuses stack and project names the CLI refuses, and `.` / `..`, on create, rename and in paths', async () => {
    const tooLong = 'x'.repeat(101)
    for (const stackName of ['.', '..', '', 'a b', 'a/b', 'ü', tooLong, 'a::b']) {
      await assertApiError(
        cli.call('POST', '/api/stacks/acme/web', { body: { stackName } }),
        400,
        /stack name/,
      )
    }
    for (const project of ['.', '..', tooLong, 'a%20b']) {
      const answer = await callExact(server, 'POST', `/api/stacks/acme/${project}`, { stackName: 'dev' })
      // Path parameters longer than 100 characters are refused by the router itself: 414 URI Too Long.
      assert.equal(answer.status, project === tooLong ? 414 : 400, project)
      assert.equal(answer.body.code, answer.status)
    }
    for (const org of ['ab', '-acme', 'acme-', 'ac.me', 'a'.repeat(41)]) {
      await assertApiError(
        cli.call('POST', `/api/stacks/${org}/web`, { body: { stackName: 'dev' } }),
        400,
        /organization name/,
      )
    }
    const listed = await cli.call<{ stacks: unknown[] }>('GET', '/api/user/stacks')
    assert.deepEqual(listed.body.stacks, [])

    await cli.call('POST', '/api/stacks/acme/web', { body: { stackName: 'dev' } })
    for (const body of [
      { newName: '..' },
      { newName: '.' },
      { newName: 'ok', newProject: '..' },
      { newName: 'a b' },
    ]) {
      await assertApiError(cli.call('POST', '/api/stacks/acme/web/dev/rename', { body }), 400, /name/)
    }
    await cli.call('GET', '/api/stacks/acme/web/dev')

    for (const path of [
      '/api/stacks/acme/web/..',
      '/api/stacks/acme/web/.',
      '/api/stacks/acme/../dev',
      '/api/stacks/acme/web/%2E%2E/export',
    ]) {
      const answer = await callExact(server, 'GET', path)
      assert.equal(answer.status, 400, path)
      assert.equal(answer.body.code, 400, path)
    }
  })

  it('refuses an initial stack state that is not a valid deployment, like an invalid import, and creates nothing', async () => {
    const invalid: unknown[] = [
      'x',
      { version: 3 },
      { version: 99, deployment: {} },
      { version: 3, deployment: { resources: [1] } },
      { version: 3, deployment: { resources: [{ type: 'a:b:C', custom: true }] } },
      { version: 3, deployment: { resources: [{ urn: 'urn:pulumi:s::web::a:b:C::n', custom: 'yes' }] } },
      { version: 3, deployment: { secrets_providers: { state: {} } } },
      { version: 3, deployment: { pending_operations: [{ type: 'creating' }] } },
      { version: 3, deployment: { manifest: 'today' } },
    ]
    await cli.call('POST', '/api/stacks/acme/states', { body: { stackName: 'target' } })
    for (const [i, state] of invalid.entries()) {
      const stackName = `init${i}`
      await assertApiError(cli.call('POST', '/api/stacks/acme/states', { body: { stackName, state } }), 400)
      await assertApiError(cli.call('GET', `/api/stacks/acme/states/${stackName}`), 404)
      await assertApiError(cli.call('POST', '/api/stacks/acme/states/target/import', { body: state }), 400)
    }
    const history = await cli.call<{ updates: unknown[] }>('GET', '/api/stacks/acme/states/target/updates')
    assert.deepEqual(history.body.updates, [])
    // What `stack init --secrets-provider passphrase` really sends is accepted.
    const state = {
      version: 3,
      deployment: {
        manifest: { time: '2026-01-01T00:00:00Z', magic: '', version: 'v3.200.0' },
        secrets_providers: { type: 'passphrase', state: { salt: 'v1:abc' } },
      },
    }
    await cli.call('POST', '/api/stacks/acme/states', { body: { stackName: 'passphrase', state } })
    const exported = await cli.call<{ deployment: { secrets_providers: unknown } }>(
      'GET',
      '/api/stacks/acme/states/passphrase/export',
    )
    assert.deepEqual(exported.body.deployment.secrets_providers, state.deployment.secrets_providers)
  })

  it('refuses JSON nested deeper than 1000 levels on every kind of route, and the stack can still be renamed', async () => {
    const stack = { org: 'acme', project: 'deep', stack: 'dev' }
    await createStack(cli, stack)
    const path = stackPath(stack)
    const deep = nested(1001)
    await assertApiError(
      cli.call('POST', '/api/stacks/acme/deep', { body: { stackName: 'other', tags: deep } }),
      400,
      /nest/,
    )
    await assertApiError(cli.call('PATCH', `${path}/tags`, { body: deep, gzip: true }), 400, /nest/)
    const deepState = {
      version: 3,
      deployment: {
        resources: [{ urn: 'urn:pulumi:dev::deep::a:b:C::n', type: 'a:b:C', custom: true, outputs: deep }],
      },
    }
    await assertApiError(cli.call('POST', `${path}/import`, { body: deepState, gzip: true }), 400, /nest/)
    const update = await createAndStart(cli, stack)
    await assertApiError(
      cli.call('PATCH', `${update.path}/journalentries`, {
        auth: leaseAuth(update),
        gzip: true,
        body: {
          entries: [
            {
              version: 1,
              kind: 1,
              sequenceID: 1,
              operationID: 1,
              removeOld: null,
              removeNew: null,
              state: deepState.deployment.resources[0],
            },
          ],
        },
      }),
      400,
      /nest/,
    )
    await assertApiError(
      cli.call('POST', `${update.path}/events/batch`, {
        auth: leaseAuth(update),
        gzip: true,
        body: { events: [{ sequence: 0, timestamp: 1, x: deep }] },
      }),
      400,
      /nest/,
    )
    await complete(cli, update)

    const checkpointed = await createAndStart(cli, stack, { journal: false })
    const text = JSON.stringify({ version: 3, deployment: deepState.deployment })
    await assertApiError(
      patchUpdate(cli, checkpointed, 'checkpointverbatim', verbatimBody(text, 1)),
      400,
      /nested/,
    )
    // 1000 levels are fine.
    const fine = nested(990)
    await patchUpdate(
      cli,
      checkpointed,
      'checkpointverbatim',
      verbatimBody(
        JSON.stringify({
          version: 3,
          deployment: { resources: [{ ...deepState.deployment.resources[0], outputs: fine }] },
        }),
        1,
      ),
    )
    await complete(cli, checkpointed)
    await cli.call('POST', `${path}/rename`, { body: { newName: 'renamed' } })
    await cli.call('GET', '/api/stacks/acme/deep/renamed/export')
  })
})
