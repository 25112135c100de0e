// The lock order on PostgreSQL (update-service.ts #finish, store.ts): a transaction that takes both a stack's row
// and one of its updates' rows takes the stack's first. Here each pair of requests that takes both is raced, round
// after round: ending an update (complete, cancel, lease expiry) against the stack-scope writes (delete, rename,
// import). A lock-order inversion shows as PostgreSQL's deadlock error (a 503 to the client) or a hang; the
// results must also agree with one of the two orders the requests could have run in.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { DIALECTS } from '../store/dialects.js'
import { CliApiError, type CliResponse } from '../support/cli-client.js'
import { ManualClock } from '../support/manual-clock.js'
import { sharedTestDatabase } from '../support/postgres-cluster.js'
import { startTestServer, type TestServer } from '../support/test-server.js'
import {
  complete,
  createAndStart,
  createEntries,
  sendEvents,
  sendJournal,
  stackPath,
} from '../support/update-driver.js'
import { exportOf, patchUpdate, stackFactory } from '../support/update-uploads.js'

const postgres = DIALECTS.find((dialect) => dialect.name === 'PostgreSQL')
const ROUNDS = 12
const LEASE_MS = 5 * 60_000

/** The status a request ended with (errors included), so two raced requests can both be looked at. */
async function settle(request: Promise<CliResponse>): Promise<{ status: number; message: string }> {
  try {
    return { status: (await request).status, message: '' }
  } catch (error) {
    if (error instanceof CliApiError) return { status: error.status, message: error.apiMessage }
    throw error
  }
}

function assertNoServerError(...answers: { status: number; message: string }[]): void {
  for (const answer of answers) assert.ok(answer.status < 500, `${answer.status}: ${answer.message}`)
}

describe('lock order on PostgreSQL: stack row before update row', {
  skip: postgres?.skip ?? 'no PostgreSQL',
}, () => {
  let server: TestServer
  const clock = new ManualClock(Date.now())
  before(async () => {
    server = await startTestServer({ db: await sharedTestDatabase(), overrides: { clock } })
  })
  after(() => server?.close())
  const freshStack = stackFactory(() => server.client, 'race')
  const checkpoint = Buffer.from(
    JSON.stringify({ version: 3, deployment: { manifest: { time: '2026-01-01T00:00:00Z' }, resources: [] } }),
  )

  it('a preview ending (complete, cancel) races the deletion of its stack', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const stack = await freshStack()
      const preview = await createAndStart(server.client, stack, {
        kind: 'preview',
        dryRun: true,
        journal: false,
      })
      // Something in each of its logs, which both the delete and the end of the update clear.
      await patchUpdate(server.client, preview, 'checkpoint', checkpoint)
      await sendEvents(server.client, preview, [{ sequence: 1, timestamp: 1, cancelEvent: {} }])
      const end =
        round % 2 === 0
          ? complete(server.client, preview)
          : server.client.call('POST', `${stackPath(stack)}/update/${preview.id}/cancel`)
      const [ended, deleted] = await Promise.all([
        settle(end),
        settle(server.client.call('DELETE', `${stackPath(stack)}?force=true`)),
      ])
      assertNoServerError(ended, deleted)
      // A preview never holds the stack: the delete always goes through; the end either came first or finds
      // its update gone.
      assert.ok(deleted.status < 300, `delete: ${deleted.status} ${deleted.message}`)
      assert.equal((await settle(server.client.call('GET', stackPath(stack)))).status, 404)
    }
  })

  it('a real update completing races delete, rename and import of its stack', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const stack = await freshStack()
      const base = await exportOf(server.client, stack)
      const update = await createAndStart(server.client, stack)
      await sendJournal(server.client, update, createEntries(stack, 3))
      const op = (['delete', 'rename', 'import'] as const)[round % 3]
      const other =
        op === 'delete'
          ? server.client.call('DELETE', `${stackPath(stack)}?force=true`)
          : op === 'rename'
            ? server.client.call('POST', `${stackPath(stack)}/rename`, {
                body: { newName: `${stack.stack}-r` },
              })
            : server.client.call('POST', `${stackPath(stack)}/import`, { rawBody: base.raw })
      const [completed, raced] = await Promise.all([settle(complete(server.client, update)), settle(other)])
      assertNoServerError(completed, raced)
      // The stack is locked until the update ends: the other write is refused (409), or runs after the end.
      assert.equal(completed.status, 200, completed.message)
      assert.ok(raced.status < 300 || raced.status === 409, `${op}: ${raced.status} ${raced.message}`)
      const after = raced.status === 409 ? stack : { ...stack, stack: `${stack.stack}-r` }
      const found = await settle(server.client.call('GET', stackPath(op === 'rename' ? after : stack)))
      if (op === 'delete' && raced.status < 300) assert.equal(found.status, 404)
      else {
        assert.equal(found.status, 200, found.message)
        const current = op === 'rename' ? after : stack
        const history = await server.client.call<{ updates: { kind: string; result: string }[] }>(
          'GET',
          `${stackPath(current)}/updates?pageSize=10&page=1`,
        )
        assert.ok(history.body.updates.some((u) => u.kind === 'update' && u.result === 'succeeded'))
      }
    }
  })

  it('an update ending by complete, cancel and lease expiry at once ends once, and frees its stack', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const stack = await freshStack()
      const update = await createAndStart(server.client, stack)
      await sendJournal(server.client, update, createEntries(stack, 2))
      // Odd rounds: the lease has run out, so the expiry job and the complete both end it as failed.
      if (round % 2 === 1) clock.advance(LEASE_MS + 1000)
      const [completed, cancelled] = await Promise.all([
        settle(complete(server.client, update)),
        settle(server.client.call('POST', `${stackPath(stack)}/update/${update.id}/cancel`)),
        server.app.jobs.runOnce(),
      ])
      assertNoServerError(completed, cancelled)
      const status = await server.client.call<{ status: string }>('GET', update.path)
      const expected = new Set(['succeeded', 'failed', 'cancelled'])
      assert.ok(expected.has(status.body.status), status.body.status)
      assert.equal(completed.status === 200, status.body.status === 'succeeded', completed.message)
      // The stack is free again: the next update starts.
      const next = await createAndStart(server.client, stack)
      await complete(server.client, next)
    }
  })
})
