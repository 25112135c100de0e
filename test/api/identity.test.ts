import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { assertApiError } from '../support/assert-api-error.js'
import { parseCapabilities } from '../support/capabilities.js'
import { type CliApiError, type CliClient, CliClient as Client } from '../support/cli-client.js'
import { queryDatabase } from '../support/db-query.js'
import { startTestServer, type TestServer, useTestServer } from '../support/test-server.js'

interface ServiceUser {
  githubLogin: string
  organizations: { githubLogin: string }[]
  tokenInfo?: unknown
}

/** Internals an error body must never show: SQL, driver names, file paths, stack frames. */
const LEAKS =
  /sqlite|SQL|select |insert |delete from|no such table|\/work\/|\/tmp\/|node_modules|\.ts\b|\.js:\d|at \S+ \(|[a-z]Error\b/i

function assertNoLeak(error: unknown) {
  const raw = (error as CliApiError).response.raw.toString('utf8')
  assert.doesNotMatch(raw, LEAKS, raw)
  const body = JSON.parse(raw) as Record<string, unknown>
  assert.deepEqual(Object.keys(body).sort(), ['code', 'message'], 'no stack or detail fields')
}

describe('identity, capabilities and health', () => {
  let server: TestServer
  let cli: CliClient
  useTestServer({}, (started) => {
    server = started
    cli = started.client
  })

  it('GET /api/user answers what client.go :: GetPulumiAccountDetails requires', async () => {
    const user = (await cli.call<ServiceUser>('GET', '/api/user', { command: 'login' })).body
    assert.equal(user.githubLogin, 'alice')
    assert.ok(user.organizations.length > 0)
    for (const org of user.organizations) assert.ok(org.githubLogin, 'every organization login is non-empty')
    assert.deepEqual(
      user.organizations.map((o) => o.githubLogin),
      ['acme'],
    )
    // whoami -v prints "Token type: personal" only when tokenInfo is absent.
    assert.equal('tokenInfo' in user, false)
  })

  it('answers the default organization with the Go field names (GetDefaultOrganizationResponse)', async () => {
    const org = await cli.call<Record<string, unknown>>('GET', '/api/user/organizations/default')
    assert.deepEqual(org.body, { GitHubLogin: 'acme', Messages: [] })
  })

  it('advertises capabilities the CLI parses without dropping them', async () => {
    const response = await cli.call('GET', '/api/capabilities')
    const capabilities = parseCapabilities(response.body)
    // Deployments are stored opaquely, so v4 (with features) must be accepted rather than downgraded
    // (backend.go :: downgradeDeploymentVersionIfNeeded).
    assert.ok(capabilities.deploymentSchemaVersion >= 4)
  })

  it('parses capabilities as strictly as the CLI (self-check of the port)', () => {
    const parse = (capabilities: unknown[]) => parseCapabilities({ capabilities })
    assert.equal(parse([{ capability: 'unknown-thing', configuration: 7 }]).batchEncryption, false)
    assert.throws(() => parse([{ capability: 'delta-checkpoint-uploads-v2', version: 2 }]), /end of JSON/)
    assert.equal(
      parse([{ capability: 'delta-checkpoint-uploads-v2', version: 1 }]).deltaCheckpointUpdates,
      undefined,
    )
    assert.throws(() =>
      parse([{ capability: 'deployment-schema-version', version: 1, configuration: { version: '4' } }]),
    )
    assert.throws(() =>
      parse([
        { capability: 'batch-encrypt' },
        {
          capability: 'api-version',
          version: 1,
          configuration: { maxVersion: 9, minVersion: 0, defaultVersion: 9 },
        },
      ]),
    )
    assert.equal(
      parse([{ capability: 'deployment-schema-version', version: 1, configuration: { Version: 4 } }])
        .deploymentSchemaVersion,
      4,
    )
  })

  for (const path of ['/', '/healthz', '/readyz']) {
    it(`answers ${path} without credentials`, async () => {
      const response = await cli.call<{ status: string }>('GET', path, { auth: { kind: 'token', token: '' } })
      assert.equal(response.status, 200)
      assert.equal(response.body.status, 'ok')
    })
  }

  it('accepts a token minted by IdentityService.createToken and stores only its SHA-256', async () => {
    const token = await server.app.identity.createToken('ci')
    const user = await new Client(server.url, token).call<ServiceUser>('GET', '/api/user')
    assert.equal(user.body.githubLogin, 'alice')
    assert.equal('tokenInfo' in user.body, false)

    const rows = await queryDatabase<{ token_hash: string; last_used_at: number | null }>(
      server.dbPath,
      'select token_hash, last_used_at from access_tokens',
    )
    const digest = createHash('sha256').update(token).digest('hex')
    const row = rows.find((r) => r.token_hash === digest)
    assert.ok(row, 'the token is stored by its digest')
    assert.ok(row.last_used_at !== null, 'its last use is recorded')
    // The WAL holds recent writes before a checkpoint, so look in every file of the database.
    for (const file of [server.dbPath, `${server.dbPath}-wal`, `${server.dbPath}-shm`]) {
      if (!existsSync(file)) continue
      const bytes = readFileSync(file)
      assert.equal(bytes.includes(token), false, `plaintext token found in ${file}`)
      assert.equal(bytes.includes(server.token), false, `static token found in ${file}`)
    }
  })

  it('refuses unknown, empty and malformed credentials with 401', async () => {
    for (const auth of ['token nope', 'token ', 'Basic YWxpY2U6cHc=', 'tokennope']) {
      const error = await cli
        .call('GET', '/api/user', { auth: { kind: 'token', token: '' }, headers: { Authorization: auth } })
        .catch((e: unknown) => e)
      assert.equal((error as CliApiError).code, 401, auth)
      assertNoLeak(error)
    }
  })

  it('answers unknown routes with a JSON 404 carrying code 404', async () => {
    for (const [method, path] of [
      ['GET', '/api/nope'],
      ['POST', '/api/user'],
      ['GET', '/api/stacks/acme/web/dev/unknown-thing/x/y'],
      ['DELETE', '/'],
    ] as const) {
      await assertApiError(cli.call(method, path), 404)
    }
    // Agent auto-signup must find nothing on a self-hosted server (protocol §2.2).
    await assertApiError(cli.call('POST', '/api/agents/signup', { body: {} }), 404)
  })

  it('never leaks internals in client errors', async () => {
    // One at a time: each must be answered on its own, not raced against the others.
    const attempts: (() => Promise<unknown>)[] = [
      () => cli.call('POST', '/api/stacks/acme/web', { rawBody: Buffer.from('{"stackName":') }),
      () => cli.call('POST', '/api/stacks/acme/web', { body: { stackName: ['x'] } }),
      () =>
        cli.call('POST', '/api/stacks/acme/web', {
          rawBody: Buffer.from('\x1f\x8b garbage'),
          headers: { 'Content-Encoding': 'gzip' },
        }),
      () =>
        cli.call('POST', '/api/stacks/acme/web', {
          body: { stackName: 'x' },
          headers: { 'Content-Encoding': 'br' },
        }),
      () => cli.call('GET', '/api/user/stacks?continuationToken=%%%'),
      () => cli.call('GET', '/api/user/stacks?continuationToken=bm9wZQ'),
      () => cli.call('GET', '/api/stacks/acme/web/%E0%A4%A'),
      () => cli.call('GET', `/api/stacks/acme/web/${'x'.repeat(300)}`),
      () => cli.call('GET', '/api/stacks/acme/web/dev/export/abc'),
      () => cli.call('PATCH', '/api/stacks/acme/web/dev/tags', { body: [1, 2] }),
    ]
    for (const attempt of attempts) {
      const error = await attempt().then(
        () => assert.fail('expected an error'),
        (e: unknown) => e,
      )
      const { status, code } = error as CliApiError
      assert.ok(status >= 400 && status < 500, `status ${status}`)
      assert.equal(code, status)
      assertNoLeak(error)
    }
  })
})

describe('internal errors', () => {
  it('answer 500 with a generic message, no SQL and no stack trace', async () => {
    const server = await startTestServer()
    try {
      await server.client.call('POST', '/api/stacks/acme/web', { body: { stackName: 'dev' } })
      // Break the database underneath the server, as a failed disk or a bad migration would.
      await queryDatabase(server.dbPath, 'drop table stack_keys')
      const error = await server.client
        .call('POST', '/api/stacks/acme/web/dev/encrypt', { body: { plaintext: 'eA==' } })
        .then(
          () => assert.fail('expected a 500'),
          (e: unknown) => e,
        )
      assert.equal((error as CliApiError).code, 500)
      assertNoLeak(error)
      // The rest of the server keeps working.
      const stack = await server.client.call<{ stackName: string }>('GET', '/api/stacks/acme/web/dev')
      assert.equal(stack.body.stackName, 'dev')
    } finally {
      await server.close()
    }
  })
})
