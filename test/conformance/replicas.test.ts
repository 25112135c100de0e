// No correctness in one process (issue 9, design §6): two app instances (createApp twice) on ONE database, and a
// client whose requests alternate between them through whole updates in every upload mode. Each instance has its
// own caches (working states, exports, mutexes); only the database is shared, as between replicas.
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { assertApiError } from '../support/assert-api-error.js'
import { RoundRobin } from '../support/round-robin.js'
import { startTestServer, type TestServer } from '../support/test-server.js'
import {
  complete,
  createAndStart,
  createEntries,
  historyResults,
  renewLease,
  sendEvents,
  sendJournal,
  stackPath,
  withToken,
} from '../support/update-driver.js'
import {
  assertClientError,
  exportOf,
  fixtureState,
  patchUpdate,
  recordedDeltaChain,
  resourceUrns,
  stackFactory,
  urnNames,
  verbatimBody,
} from '../support/update-uploads.js'

const event = (sequence: number, extra: Record<string, unknown> = {}) => ({
  sequence,
  timestamp: 1,
  ...extra,
})

const { text, delta } = recordedDeltaChain()

describe('two instances on one database', () => {
  let a: TestServer
  let b: TestServer
  let both: RoundRobin
  // One clock for both instances, moved past leases instead of sleeping.
  let now = Date.now()
  const clock = { now: () => now }
  const LEASE_MS = 5 * 60_000

  before(async () => {
    a = await startTestServer({ overrides: { clock } })
    b = await startTestServer({ dir: a.dir, overrides: { clock } })
    both = new RoundRobin(() => [a.client, b.client])
  })
  after(async () => {
    await b?.close()
    await a?.close()
    rmSync(a.dir, { recursive: true, force: true })
  })

  const freshStack = stackFactory(() => both, 'rr')

  it('a journaled update alternating between instances keeps every entry once; both export the same live state', async () => {
    const stack = await freshStack()
    const update = await createAndStart(both, stack)
    const entries = createEntries(stack, 20)
    for (let i = 0; i < entries.length; i += 3) {
      const batch = entries.slice(i, i + 3)
      await sendJournal(both, update, batch)
      // A retry of the same batch, answered by the other instance: deduplicated against the database.
      await sendJournal(both, update, batch)
      if (i === 21) {
        const fromA = await exportOf(a.client, stack)
        const fromB = await exportOf(b.client, stack)
        assert.deepEqual(fromA.json, fromB.json)
        assert.equal(fromA.json.deployment.resources?.length, 11, 'root and r0–r9')
      }
    }
    await sendEvents(both, update, [event(0), event(1)])
    await sendEvents(both, update, [event(2, { summaryEvent: { resourceChanges: { create: 21 } } })])
    await complete(both, update)
    await complete(both, update) // the retry lands on the other instance
    const expected = ['web-rr1', ...Array.from({ length: 20 }, (_, i) => `r${i}`)]
    assert.deepEqual(urnNames(await resourceUrns(a.client, stack)), expected)
    assert.deepEqual(urnNames(await resourceUrns(b.client, stack)), expected)
    const history = await b.client.call<{ updates: { version: number; resourceChanges: unknown }[] }>(
      'GET',
      `${stackPath(stack)}/updates?pageSize=10&page=1`,
    )
    assert.deepEqual(
      history.body.updates.map((u) => [u.version, u.resourceChanges]),
      [[1, { create: 21 }]],
    )
    const events = await a.client.call<{ events: { sequence: number }[] }>('GET', `${update.path}/events`)
    assert.deepEqual(
      events.body.events.map((e) => e.sequence),
      [0, 1, 2],
    )
  })

  it('verbatim + delta checkpoints alternating between instances; retries recognised on either', async () => {
    const stack = await freshStack()
    const update = await createAndStart(both, stack, { journal: false })
    await patchUpdate(both, update, 'checkpointverbatim', verbatimBody(text(1), 1))
    await patchUpdate(both, update, 'checkpointdelta', delta(2))
    await patchUpdate(both, update, 'checkpointdelta', delta(2)) // retry on the other instance: a no-op
    await patchUpdate(both, update, 'checkpointdelta', delta(3))
    await patchUpdate(both, update, 'checkpointdelta', delta(4))
    assert.equal((await exportOf(a.client, stack)).raw.toString('utf8'), text(4).toString('utf8'))
    assert.equal((await exportOf(b.client, stack)).raw.toString('utf8'), text(4).toString('utf8'))
    await complete(both, update)
    assert.equal((await exportOf(both, stack)).raw.toString('utf8'), text(4).toString('utf8'))
    assert.equal((await exportOf(both, stack, 1)).raw.toString('utf8'), text(4).toString('utf8'))
  })

  it('full checkpoints alternating between instances: the last one wins', async () => {
    const stack = await freshStack()
    const update = await createAndStart(both, stack, { journal: false })
    const body = (name: string) => {
      const state = fixtureState(name)
      return Buffer.from(`{"version":3,"deployment":${JSON.stringify(state.deployment)}}`)
    }
    await patchUpdate(both, update, 'checkpoint', body('eks-cluster-2.5.2.json'))
    await patchUpdate(both, update, 'checkpoint', body('eks-cluster-3.0.0.json'))
    assert.deepEqual((await exportOf(a.client, stack)).json, fixtureState('eks-cluster-3.0.0.json'))
    await patchUpdate(both, update, 'checkpoint', body('eks-cluster-2.5.2.json'))
    await complete(both, update)
    assert.deepEqual((await exportOf(b.client, stack)).json, fixtureState('eks-cluster-2.5.2.json'))
  })

  it('renew on one instance, uploads on the other with either live token; a retried renew on the other answers the same token', async () => {
    const stack = await freshStack()
    const update = await createAndStart(a.client, stack)
    const entries = createEntries(stack, 2)
    const t1 = await renewLease(a.client, update)
    assert.equal(await renewLease(b.client, update), t1)
    await sendJournal(b.client, update, entries.slice(0, 3))
    await sendJournal(a.client, withToken(update, t1), entries.slice(3, 5))
    const t2 = await renewLease(b.client, withToken(update, t1))
    // Instance A must not accept the token B rotated away, though A saw it valid before.
    await assertApiError(sendJournal(a.client, update, entries.slice(5)), 401)
    await sendJournal(a.client, withToken(update, t2), entries.slice(5))
    await complete(a.client, withToken(update, t1))
    assert.deepEqual(urnNames(await resourceUrns(b.client, stack)), ['web-rr4', 'r0', 'r1'])
  })

  it('cancel from the other instance ends the update; the first instance refuses its next upload', async () => {
    const stack = await freshStack()
    const update = await createAndStart(a.client, stack)
    const entries = createEntries(stack, 3)
    await sendJournal(a.client, update, entries.slice(0, 5))
    await b.client.call('POST', `${update.path}/cancel`)
    await assertClientError(sendJournal(a.client, update, entries.slice(5)))
    await assertClientError(complete(a.client, update))
    assert.deepEqual(urnNames(await resourceUrns(a.client, stack)), ['web-rr5', 'r0'])
    const next = await createAndStart(a.client, stack)
    assert.equal(next.version, 2)
    await complete(b.client, next)
  })

  it('complete on one instance racing lease expiry on the other ends the update exactly once', async () => {
    for (const lapsed of [false, true]) {
      const stack = await freshStack()
      const update = await createAndStart(a.client, stack)
      await sendJournal(a.client, update, createEntries(stack, 2))
      if (lapsed) now += LEASE_MS + 1000
      const [completed] = await Promise.allSettled([complete(a.client, update), b.app.jobs.runOnce()])
      const status = (await b.client.call<{ status: string }>('GET', update.path)).body.status
      if (lapsed) {
        assert.equal(status, 'failed')
        assert.equal(completed.status, 'rejected', 'a complete after the lease ran out is refused')
      } else {
        assert.equal(completed.status, 'fulfilled')
        assert.equal(status, 'succeeded')
      }
      assert.deepEqual(await historyResults(both, stack), [[1, lapsed ? 'failed' : 'succeeded']])
      assert.deepEqual(urnNames(await resourceUrns(both, stack)), [`web-${stack.stack}`, 'r0', 'r1'])
      const summary = await both.call<{ currentOperation?: unknown }>('GET', stackPath(stack))
      assert.equal(summary.body.currentOperation, undefined, 'the stack is free')
    }
  })

  it('two completes at once on both instances: one new version, both answered 200', async () => {
    const stack = await freshStack()
    const update = await createAndStart(a.client, stack)
    await sendJournal(b.client, update, createEntries(stack, 1))
    await Promise.all([complete(a.client, update), complete(b.client, update)])
    assert.deepEqual(await historyResults(both, stack), [[1, 'succeeded']])
    assert.deepEqual(urnNames(await resourceUrns(both, stack)), [`web-${stack.stack}`, 'r0'])
  })

  it('the same update started on both instances at once starts once', async () => {
    const stack = await freshStack()
    const created = await both.call<{ updateID: string }>('POST', `${stackPath(stack)}/update`, {
      body: { options: { dryRun: false } },
    })
    const path = `${stackPath(stack)}/update/${created.body.updateID}`
    const starts = await Promise.allSettled(
      [a.client, b.client].map((client) =>
        client.call<{ version: number; token: string }>('POST', path, { body: { journalVersion: 1 } }),
      ),
    )
    const started = starts.flatMap((s) => (s.status === 'fulfilled' ? [s.value.body] : []))
    assert.equal(started.length, 1, 'exactly one start succeeds')
    const refused = starts.flatMap((s) => (s.status === 'rejected' ? [s.reason as { status?: number }] : []))
    assert.deepEqual(
      refused.map((error) => error.status),
      [409],
    )
    const update = {
      id: created.body.updateID,
      version: 1,
      token: started[0]?.token ?? '',
      journalVersion: 1,
      path,
    }
    await complete(both, update)
    assert.deepEqual(await historyResults(both, stack), [[1, 'succeeded']])
  })

  it('a stack version is written only over the version before it, by the lock holder or on a free stack', async () => {
    const stack = await freshStack()
    const update = await createAndStart(a.client, stack)
    const row = await a.app.store.stacks.findByRef(stack)
    assert.ok(row)
    const write = (version: number, lockedBy: string | null) =>
      b.app.store.stacks.recordVersion(row.id, { version, resourceCount: 0, at: now, lockedBy })
    assert.equal(await write(1, null), false, 'an import or rename may not write under a running update')
    assert.equal(await write(2, update.id), false, 'only the version after the current one')
    assert.equal(await write(1, update.id), true)
    assert.equal(await write(1, update.id), false, 'a second writer that read the same version loses')
    await b.app.store.stacks.unlock(row.id, update.id)
    assert.equal(await write(2, null), true)
  })

  it('two imports at once on both instances get distinct versions', async () => {
    const stack = await freshStack()
    const deployment = (n: number) =>
      Buffer.from(
        JSON.stringify({
          version: 3,
          deployment: {
            manifest: { time: '2024-01-01T00:00:00Z', magic: '', version: 'v3.100.0' },
            resources: [
              {
                urn: `urn:pulumi:${stack.stack}::web::pulumi:pulumi:Stack::n${n}`,
                custom: false,
                type: 'pulumi:pulumi:Stack',
              },
            ],
          },
        }),
      )
    const imported = await Promise.all(
      [a.client, b.client, a.client, b.client].map((client, n) =>
        client.call<{ updateId: string }>('POST', `${stackPath(stack)}/import`, { rawBody: deployment(n) }),
      ),
    )
    assert.equal(new Set(imported.map((r) => r.body.updateId)).size, 4)
    const history = await historyResults(both, stack)
    assert.deepEqual(
      history.map(([version]) => version),
      [4, 3, 2, 1],
    )
    const seen = new Set<string>()
    for (const version of [1, 2, 3, 4]) seen.add(urnNames(await resourceUrns(both, stack, version))[0] ?? '')
    assert.deepEqual([...seen].sort(), ['n0', 'n1', 'n2', 'n3'])
  })

  it('an instance whose cached checkpoint state fell behind (the other accepted a delta since) does not refuse the next delta', async () => {
    // Found by test/replicas: A cached its own last write; B then accepted the next upload; A judged the one after
    // on its stale state ("sequence number 3 skips ahead of the last accepted (1)", 400) instead of the row.
    const checkpointed = await freshStack()
    const cp = await createAndStart(a.client, checkpointed, { journal: false })
    await patchUpdate(a.client, cp, 'checkpointverbatim', verbatimBody(text(1), 1))
    await patchUpdate(b.client, cp, 'checkpointdelta', delta(2))
    await patchUpdate(a.client, cp, 'checkpointdelta', delta(3))
    await patchUpdate(a.client, cp, 'checkpointdelta', delta(4))
    await complete(a.client, cp)
    assert.equal((await exportOf(b.client, checkpointed)).raw.toString('utf8'), text(4).toString('utf8'))
  })

  it('a journal batch on an instance whose cached state fell behind keeps every entry once', async () => {
    // A's cached state lacks the Begin that B accepted: the update must still end with every entry once.
    const journaled = await freshStack()
    const up = await createAndStart(a.client, journaled)
    const entries = createEntries(journaled, 2)
    await sendJournal(a.client, up, entries.slice(0, 3))
    await sendJournal(b.client, up, entries.slice(3, 4))
    await sendJournal(a.client, up, entries.slice(4, 5))
    await sendJournal(a.client, up, entries.slice(5))
    await complete(a.client, up)
    assert.deepEqual(urnNames(await resourceUrns(b.client, journaled)), [
      `web-${journaled.stack}`,
      'r0',
      'r1',
    ])
  })
})
