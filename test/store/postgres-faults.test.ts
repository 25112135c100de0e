// PostgreSQL going away mid-update (a restart, a failover, a dropped connection): requests answer 503 with a clear
// message, never crash the server or hang; the pool reconnects by itself once the database is back, and the CLI's
// retries finish the update with nothing acknowledged lost.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createApp, StartupError } from '../../src/app.js'
import { loadConfig } from '../../src/config/load-config.js'
import { PostgresLeaderLock } from '../../src/db/postgres-leader-lock.js'
import { CliApiError } from '../support/cli-client.js'
import { queryDatabase } from '../support/db-query.js'
import {
  findPostgresBinaries,
  type PostgresCluster,
  startPostgresCluster,
} from '../support/postgres-cluster.js'
import { startTestServer, type TestServer } from '../support/test-server.js'
import {
  complete,
  createAndStart,
  createEntries,
  historyResults,
  type StackId,
  sendJournal,
} from '../support/update-driver.js'
import { createStack, eventually, resourceUrns } from '../support/update-uploads.js'

const binaries = findPostgresBinaries()
const skip = 'missing' in binaries && binaries.missing

async function statusOf(request: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await request
    return { status: 200, message: '' }
  } catch (error) {
    if (!(error instanceof CliApiError)) throw error
    return { status: error.status, message: error.apiMessage }
  }
}

describe('PostgreSQL restart during a journaled update', { skip }, () => {
  // A cluster of its own: restarting the shared one would disturb other test files.
  let cluster: PostgresCluster
  let server: TestServer
  let database = ''
  const stack: StackId = { org: 'acme', project: 'faults', stack: 'restart' }

  before(async () => {
    cluster = await startPostgresCluster()
    database = await cluster.createDatabase()
    server = await startTestServer({ args: [`-db=${database}`] })
  })
  after(async () => {
    await server?.close()
    cluster?.stop()
  })

  it('answers 503 while the database is down, reconnects by itself, and the update completes intact', async () => {
    const cli = server.client
    await createStack(cli, stack)
    const update = await createAndStart(cli, stack)
    const entries = createEntries(stack, 20)
    const half = Math.floor(entries.length / 2)
    await sendJournal(cli, update, entries.slice(0, half))

    cluster.stopServer()
    const batch = await statusOf(sendJournal(cli, update, entries.slice(half)))
    assert.equal(batch.status, 503)
    assert.match(batch.message, /^Service Unavailable: the database cannot serve this request right now/)
    assert.doesNotMatch(batch.message, /ECONNREFUSED|postgres|127\.0\.0\.1|at \S+ \(/, 'no internals')
    const read = await statusOf(cli.call('GET', '/api/stacks/acme/faults/restart/export'))
    assert.deepEqual(read, { status: 503, message: batch.message })
    assert.equal((await statusOf(cli.call('GET', '/readyz'))).status, 503)
    assert.equal((await statusOf(cli.call('GET', '/healthz'))).status, 200, 'the process itself is alive')

    cluster.startServer()
    // The CLI retries failed calls (client/api.go); the pool opens fresh connections for them.
    await eventually('the retried batch to be accepted', async () =>
      (await statusOf(sendJournal(cli, update, entries.slice(half)))).status === 200 ? true : undefined,
    )
    await complete(cli, update)
    assert.deepEqual(await historyResults(cli, stack), [[1, 'succeeded']])
    const urns = await resourceUrns(cli, stack)
    assert.equal(urns.length, 21, 'every acknowledged entry is in the final state')
  })

  it('survives its pooled connections being killed (no crash), and the next requests work', async () => {
    const cli = server.client
    await cli.call('GET', `/api/stacks/acme/faults/restart/export`)
    // As a failover or an administrator would: every backend serving this database is terminated.
    const killed = await queryDatabase<{ n: number }>(
      cluster.adminUrl,
      'select count(pg_terminate_backend(pid)) as n from pg_stat_activity where datname = ?',
      [new URL(database).pathname.slice(1)],
    )
    assert.ok(Number(killed[0]?.n) > 0, 'the server had pooled connections')
    const outcomes = []
    for (let i = 0; i < 3; i++)
      outcomes.push((await statusOf(cli.call('GET', '/api/stacks/acme/faults/restart/export'))).status)
    assert.ok(
      outcomes.every((status) => status === 200 || status === 503),
      `only 200 or 503: ${outcomes}`,
    )
    assert.equal(outcomes.at(-1), 200, 'the pool replaced the dead connections')
  })
})

describe('PostgreSQL leader lock for singleton jobs', { skip }, () => {
  let cluster: PostgresCluster
  let url = ''
  before(async () => {
    cluster = await startPostgresCluster()
    url = await cluster.createDatabase()
  })
  after(() => cluster?.stop())

  it('is held by one node at a time and passes on when the holder releases it or loses its session', async () => {
    const [a, b] = [new PostgresLeaderLock(url), new PostgresLeaderLock(url)]
    try {
      assert.equal(await a.acquire(), true)
      assert.equal(await a.acquire(), true, 'still held')
      assert.equal(await b.acquire(), false)
      await a.release()
      assert.equal(await b.acquire(), true, 'taken over after a release')
      assert.equal(await a.acquire(), false)
      // The holder's session dies (a failover, a network cut): PostgreSQL frees the lock with it.
      await queryDatabase(
        cluster.adminUrl,
        "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'pulumi-backend leader'",
      )
      const holders = await eventually('the lock to be held again', async () => {
        const held = [await a.acquire(), await b.acquire()]
        return held.some(Boolean) ? held : undefined
      })
      assert.equal(holders.filter(Boolean).length, 1, 'exactly one holder after the loss')
    } finally {
      await a.release()
      await b.release()
    }
  })
})

describe('an unreachable PostgreSQL at start', () => {
  it('is a startup error naming the database without its password', async () => {
    const parsed = loadConfig(['-addr=127.0.0.1:0', '-db=postgres://pulumi:hunter2@127.0.0.1:1/pulumi'], {})
    assert.equal(parsed.kind, 'config')
    await assert.rejects(createApp(parsed.config), (error: unknown) => {
      assert.ok(error instanceof StartupError, String(error))
      assert.match(
        error.message,
        /cannot reach the database postgres:\/\/pulumi:\*\*\*@127\.0\.0\.1:1\/pulumi/,
      )
      assert.doesNotMatch(error.message, /hunter2/)
      return true
    })
  })
})
