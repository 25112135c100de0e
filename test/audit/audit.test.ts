import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { describe, it } from 'node:test'
import type { AuditEvent } from '../../src/audit/audit-event.js'
import { auditScope } from '../../src/audit/audit-scope.js'
import { isAudited } from '../../src/audit/audited-routes.js'
import { verifyChain } from '../../src/audit/verify-chain.js'
import type { SqlStore } from '../../src/db/store.js'
import { CliApiError } from '../support/cli-client.js'
import { queryDatabase } from '../support/db-query.js'
import { type TestServer, useTestServer } from '../support/test-server.js'

interface Page {
  auditLogEvents: {
    event: string
    description: string
    user: { name: string }
    timestamp: number
    sourceIP: string
  }[]
  continuationToken?: string
}

const sqlStore = (server: TestServer) => server.app.store as SqlStore
/** The server's database opened beside it, as an operator or an attacker would (SQLite file or PostgreSQL). */
const storedRows = async (server: TestServer) =>
  (
    await queryDatabase<{ seq: number | string; action: string; result: string; resource: string }>(
      server.dbPath,
      'select seq, action, result, resource from audit_events order by seq',
    )
  ).map((row) => ({ ...row, seq: Number(row.seq) }))

/**
 * The stored events once no more arrive: events of requests that committed nothing are written after their
 * response (access-hooks.ts), so a read right after the answer may miss them (PostgreSQL: a network round trip).
 */
async function rows(server: TestServer) {
  let previous = await storedRows(server)
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    const current = await storedRows(server)
    if (current.length === previous.length) return current
    previous = current
  }
}

function event(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    timeMs: 1_700_000_000_000,
    org: 'acme',
    actor: 'alice',
    tokenName: undefined,
    action: 'test',
    method: 'POST',
    resource: 'acme/p/s',
    result: 'success',
    httpStatus: 200,
    sourceIp: '127.0.0.1',
    userAgent: 'ua',
    description: '',
    ...overrides,
  }
}

describe('audit log', () => {
  let server: TestServer
  useTestServer({}, (s) => {
    server = s
  })

  it('records an event for every mutating route (walks the route table)', async () => {
    const audited = server.app.routes.filter((route) => isAudited(route.method, route))
    assert.ok(audited.length > 20)
    for (const route of audited) {
      const path = route.url
        .replace(/:updateKind\([^/]*\)/, 'update')
        .replace(/:[A-Za-z]+/g, 'x')
        .replace('*', 'x')
      const auth =
        route.auth === 'update-token' ? { kind: 'update-token' as const, token: 'bogus' } : undefined
      await server.client
        .call(route.method, path, { body: {}, ...(auth ? { auth } : {}) })
        .catch((error: unknown) => assert.ok(error instanceof CliApiError))
    }
    const actions = new Set((await rows(server)).map((row) => row.action))
    const missing = audited.map((route) => route.operationId).filter((op) => !actions.has(op))
    assert.deepEqual(missing, [], 'mutating routes without an audit event')
    // High-frequency update traffic stays out.
    for (const op of ['patchCheckpoint', 'patchJournalEntries', 'postEngineEventBatch', 'renewLease']) {
      assert.ok(!actions.has(op), op)
    }
  })

  it('writes the event in the change’s transaction: a change that rolls back leaves no event', async () => {
    const store = sqlStore(server)
    const before = (await rows(server)).length
    const pending = { draft: () => event({ action: 'rolledBack' }), written: false, committed: () => {} }
    await assert.rejects(
      auditScope.run(pending, () =>
        store.transaction(async (tx) => {
          await tx.meta.setIfAbsent('audit-test', 'x')
          throw new Error('the change fails')
        }),
      ),
    )
    assert.equal((await rows(server)).length, before)
    assert.equal(await store.meta.get('audit-test'), undefined)
    await auditScope.run(pending, () => store.transaction((tx) => tx.meta.setIfAbsent('audit-test', 'y')))
    const last = (await rows(server)).at(-1)
    assert.equal(last?.action, 'rolledBack')
    assert.equal(pending.written, true)
  })

  it('refuses an audited change written outside a store transaction (every test server runs this guard)', async () => {
    const store = sqlStore(server)
    const pending = { draft: () => event({ action: 'outside' }), written: false, committed: () => {} }
    // A repository write outside `transaction` would commit without the event: the guard fails it.
    await assert.rejects(
      auditScope.run(pending, () => store.meta.setIfAbsent('audit-outside', 'x')),
      /audited change outside a transaction: outside/,
    )
    assert.equal(await store.meta.get('audit-outside'), undefined)
    // The same write through `transaction` commits with its event.
    await auditScope.run(pending, () => store.transaction((tx) => tx.meta.setIfAbsent('audit-outside', 'y')))
    assert.equal((await rows(server)).at(-1)?.action, 'outside')
    // Reads, and writes after the event is written, are not changes it must carry.
    await auditScope.run(pending, () => store.meta.get('audit-outside'))
  })

  it('commits each successful mutating route’s change with its event (route walk, real successes)', async () => {
    // The walk above mostly gets refusals; these are real changes through the routes, each of which the guard
    // would fail (500) if it wrote outside the transaction that carries the audit event.
    const base = '/api/stacks/acme/walk'
    await server.client.call('POST', base, { body: { stackName: 's' } })
    await server.client.call('PATCH', `${base}/s/tags`, { body: { a: 'b' } })
    await server.client.call('POST', `${base}/s/encrypt`, { body: { plaintext: 'eA==' } })
    await server.client.call('POST', '/api/user/tokens', { body: { description: 'walk', expires: 0 } })
    await server.client.call('POST', `${base}/s/rename`, { body: { newName: 's2' } })
    await server.client.call('DELETE', `${base}/s2`)
    const events = (await rows(server)).filter(
      (r) => r.resource.startsWith('acme/walk') && r.result === 'success',
    )
    assert.deepEqual(
      events.map((r) => r.action),
      ['createStack', 'updateStackTags', 'encryptValue', 'renameStack', 'deleteStack'],
    )
  })

  it('records a successful change with result success and a failed one with failure', async () => {
    await server.client.call('POST', '/api/stacks/acme/proj', { body: { stackName: 'audited' } })
    await server.client
      .call('POST', '/api/stacks/acme/proj', { body: { stackName: 'audited' } })
      .catch(() => {})
    const creates = (await rows(server)).filter(
      (r) => r.action === 'createStack' && r.resource === 'acme/proj/audited',
    )
    assert.deepEqual(
      creates.map((r) => r.result),
      ['success', 'failure'],
    )
  })

  it('ends with the final outcome when a request fails after its change (and event) committed', async () => {
    // decrypt on a stack with no key yet: the key is created in a transaction that carries the request's event
    // (secrets-service.ts), then the bogus ciphertext fails the request (400).
    await server.client.call('POST', '/api/stacks/acme/late', { body: { stackName: 'fail' } })
    await assert.rejects(
      server.client.call('POST', '/api/stacks/acme/late/fail/decrypt', { body: { ciphertext: 'AAAA' } }),
      (e: unknown) => e instanceof CliApiError && e.status === 400,
    )
    const decrypts = (await rows(server)).filter(
      (r) => r.action === 'decryptValue' && r.resource === 'acme/late/fail',
    )
    assert.deepEqual(
      decrypts.map((r) => r.result),
      ['success', 'failure'],
    )
    const page = await server.client.call<Page>('GET', '/api/orgs/acme/auditlogs?eventFilter=decryptValue')
    assert.match(page.body.auditLogEvents[0]?.description ?? '', /failure, 400.*after its change committed/)
  })

  it('pages newest first with continuation tokens, filters by user, event and time, exports CSV', async () => {
    const store = sqlStore(server)
    for (let i = 0; i < 130; i++) {
      await store.transaction((tx) =>
        tx.audit.append(
          event({ actor: i % 2 ? 'bob' : 'carol', action: 'paged', timeMs: 1_600_000_000_000 + i * 1000 }),
        ),
      )
    }
    const get = (query: string) =>
      server.client
        .call<Page>('GET', `/api/orgs/acme/auditlogs?eventFilter=paged${query}`)
        .then((r) => r.body)
    const first = await get('')
    assert.equal(first.auditLogEvents.length, 100)
    assert.ok(first.continuationToken)
    const second = await get(`&continuationToken=${first.continuationToken}`)
    assert.equal(second.auditLogEvents.length, 30)
    assert.equal(second.continuationToken, undefined)
    const times = [...first.auditLogEvents, ...second.auditLogEvents].map((e) => e.timestamp)
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    )
    assert.equal((await get('&userFilter=bob')).auditLogEvents.length, 65)
    // V2: startTime is the inclusive lower bound, endTime the exclusive upper bound.
    const v2 = await server.client.call<Page>(
      'GET',
      '/api/orgs/acme/auditlogs/v2?eventFilter=paged&startTime=1600000010&endTime=1600000020',
    )
    assert.equal(v2.body.auditLogEvents.length, 10)
    // V1: startTime is the upper bound ("entries older than"), as the CLI's --start-time sends it.
    assert.equal((await get('&startTime=1600000010')).auditLogEvents.length, 11)
    assert.equal((await get('&startTime=1600000010&endTime=1600000005')).auditLogEvents.length, 5)
    // The exact query strings of `pulumi org audit-log list --event-type=paged --user=bob --start-time=…`
    // (client.go ListAuditLogs at 3.260: eventType, user, startTime, continuationToken).
    const cli = await server.client.call<Page>(
      'GET',
      '/api/orgs/acme/auditlogs?eventType=paged&user=bob&startTime=1600000010',
    )
    assert.deepEqual(
      cli.body.auditLogEvents.map((e) => [e.user.name, e.timestamp]),
      [9, 7, 5, 3, 1].map((i) => ['bob', 1_600_000_000 + i]),
    )
    const cliFirst = await server.client.call<Page>('GET', '/api/orgs/acme/auditlogs?eventType=paged')
    const cliNext = await server.client.call<Page>(
      'GET',
      `/api/orgs/acme/auditlogs?eventType=paged&continuationToken=${cliFirst.body.continuationToken}`,
    )
    assert.equal(cliNext.body.auditLogEvents.length, 30)
    await assert.rejects(
      get('&eventType=other'),
      (e: unknown) => e instanceof CliApiError && e.status === 400,
    )
    await assert.rejects(
      get('&continuationToken=bogus'),
      (e: unknown) => e instanceof CliApiError && e.status === 400,
    )
    const csv = await fetch(
      `${server.url}/api/orgs/acme/auditlogs/export?format=csv&eventFilter=paged&userFilter=carol`,
      { headers: { Authorization: `token ${server.token}` } },
    )
    assert.equal(csv.status, 200)
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/)
    const lines = (await csv.text()).trim().split('\r\n')
    assert.match(lines[0] ?? '', /^Timestamp,Seq,Event,Result/)
    assert.equal(lines.length, 66)
    // `pulumi org audit-log export --event-type=paged --user=carol` (client.go ExportAuditLogs).
    const cliCsv = await fetch(
      `${server.url}/api/orgs/acme/auditlogs/export?format=csv&eventType=paged&user=carol`,
      {
        headers: { Authorization: `token ${server.token}` },
      },
    )
    assert.equal((await cliCsv.text()).trim().split('\r\n').length, 66)
  })

  it('keeps a hash chain that `audit verify` checks: an edited or deleted row is found', async () => {
    const store = sqlStore(server)
    assert.deepEqual((await verifyChain(store.audit)).ok, true)
    const cli = () => {
      try {
        return {
          code: 0,
          out: execFileSync(
            process.execPath,
            ['--import', 'tsx', 'src/main.ts', 'audit', 'verify', `-db=${server.dbPath}`],
            { encoding: 'utf8' },
          ),
        }
      } catch (error) {
        const e = error as { status: number; stdout: string }
        return { code: e.status, out: e.stdout }
      }
    }
    assert.equal(cli().code, 0)
    const [row] = await queryDatabase<{ actor: string }>(
      server.dbPath,
      'select actor from audit_events where seq = 3',
    )
    const actor = row?.actor
    await queryDatabase(server.dbPath, `update audit_events set actor = 'mallory' where seq = 3`)
    const edited = await verifyChain(store.audit)
    assert.ok(!edited.ok && edited.seq === 3 && /edited/.test(edited.problem))
    const run = cli()
    assert.equal(run.code, 1)
    assert.match(run.out, /BROKEN at event 3/)
    await queryDatabase(server.dbPath, 'update audit_events set actor = ? where seq = 3', [actor])
    assert.equal((await verifyChain(store.audit)).ok, true)
    await queryDatabase(server.dbPath, 'delete from audit_events where seq = 5')
    const deleted = await verifyChain(store.audit)
    assert.ok(!deleted.ok && deleted.seq === 5 && /missing/.test(deleted.problem), JSON.stringify(deleted))
  })
})
