import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { assertApiError } from '../support/assert-api-error.js'
import type { CliClient } from '../support/cli-client.js'
import { startTestServer, type TestServer } from '../support/test-server.js'
import {
  complete,
  createAndStart,
  createEntries,
  leaseAuth,
  sendEvents,
  sendJournal,
  stackPath,
} from '../support/update-driver.js'

describe('journaled pulumi up', () => {
  let server: TestServer
  let cli: CliClient
  const stack = { org: 'acme', project: 'web', stack: 'dev' }
  before(async () => {
    server = await startTestServer()
    cli = server.client
    await cli.call('POST', '/api/stacks/acme/web', { body: { stackName: 'dev' } })
  })
  after(() => server.close())

  it('creates resources entry batch by entry batch and exports them in order', async () => {
    const preview = await createAndStart(cli, stack, { dryRun: true })
    assert.equal(preview.journalVersion, 0, 'previews never journal')
    assert.ok(preview.token.length > 0, 'previews get a lease token too')
    await complete(cli, preview)

    const update = await createAndStart(cli, stack)
    assert.equal(update.journalVersion, 1)
    assert.equal(update.version, 1)
    const entries = createEntries(stack, 5)
    for (let i = 0; i < entries.length; i += 2) await sendJournal(cli, update, entries.slice(i, i + 2))
    // A retried batch is a no-op.
    await sendJournal(cli, update, entries.slice(0, 2))
    await sendEvents(cli, update, [
      { sequence: 1, timestamp: 1, stdoutEvent: { message: 'b', color: 'raw' } },
      { sequence: 0, timestamp: 1, stdoutEvent: { message: 'a', color: 'raw' } },
      { sequence: 2, timestamp: 1, summaryEvent: { resourceChanges: { create: 6 }, durationSeconds: 1 } },
    ])
    await complete(cli, update)
    await complete(cli, update) // retry: no-op

    const exported = await cli.call<{ version: number; deployment: { resources: { urn: string }[] } }>(
      'GET',
      `${stackPath(stack)}/export`,
    )
    assert.equal(exported.body.version, 3)
    const urns = exported.body.deployment.resources.map((r) => r.urn)
    assert.equal(urns.length, 6)
    assert.match(urns[0] ?? '', /pulumi:pulumi:Stack/)
    assert.deepEqual(
      urns.slice(1).map((u) => u.split('::').at(-1)),
      ['r0', 'r1', 'r2', 'r3', 'r4'],
    )

    const history = await cli.call<{
      updates: { kind: string; result: string; version: number; resourceChanges: object }[]
    }>('GET', `${stackPath(stack)}/updates?pageSize=10&page=1`)
    assert.equal(history.body.updates.length, 1, 'previews stay out of history')
    assert.equal(history.body.updates[0]?.result, 'succeeded')
    assert.deepEqual(history.body.updates[0]?.resourceChanges, { create: 6 })

    const events = await cli.call<{ events: { sequence: number }[]; continuationToken: string | null }>(
      'GET',
      `${update.path}/events`,
    )
    assert.deepEqual(
      events.body.events.map((e) => e.sequence),
      [0, 1, 2],
    )
    assert.equal(events.body.continuationToken, null)
  })

  it('refuses a second update while one holds the stack, with the exact CLI message', async () => {
    const first = await createAndStart(cli, stack)
    const created = await cli.call<{ updateID: string }>('POST', `${stackPath(stack)}/update`, {
      body: { options: { dryRun: false } },
    })
    await assertApiError(
      cli.call('POST', `${stackPath(stack)}/update/${created.body.updateID}`, {
        body: { journalVersion: 1 },
      }),
      409,
      'Conflict: Another update is currently in progress.',
    )
    const summary = await cli.call<{ activeUpdate: string }>('GET', stackPath(stack))
    assert.equal(summary.body.activeUpdate, first.id)
    await cli.call('POST', `${first.path}/cancel`)
    await assertApiError(sendJournal(cli, first, createEntries(stack, 1)), 409)
    // A repeated cancel (the CLI retries it after a lost response) is a no-op; see update-lease-retries.
    await cli.call('POST', `${first.path}/cancel`)
  })

  it('refuses a lease token on another stack', async () => {
    await cli.call('POST', '/api/stacks/acme/web', { body: { stackName: 'other' } })
    const update = await createAndStart(cli, stack)
    await assertApiError(
      cli.call('PATCH', `/api/stacks/acme/web/other/update/${update.id}/journalentries`, {
        auth: leaseAuth(update),
        gzip: true,
        body: { entries: [] },
      }),
      403,
    )
    await complete(cli, update)
  })

  it('replays entries in sequenceID order when a batch carries older entries than one already applied', async () => {
    // The CLI numbers entries before queueing them, so parallel steps can reach the server slightly out of order
    // (journal_snapshot.go :: newJournalEntry vs the flush queue); replay is defined in sequenceID order.
    const ordered = { org: 'acme', project: 'web', stack: 'ordered' }
    const shuffled = { org: 'acme', project: 'web', stack: 'shuffled' }
    for (const s of [ordered, shuffled])
      await cli.call('POST', '/api/stacks/acme/web', { body: { stackName: s.stack } })
    const exportOf = async (s: typeof ordered) =>
      (
        await cli.call<{ deployment: { resources: { urn: string }[] } }>('GET', `${stackPath(s)}/export`)
      ).body.deployment.resources.map((r) => r.urn.split('::').at(-1))

    const inOrder = await createAndStart(cli, ordered)
    await sendJournal(cli, inOrder, createEntries(ordered, 3))
    await complete(cli, inOrder)

    const outOfOrder = await createAndStart(cli, shuffled)
    const entries = createEntries(shuffled, 3)
    // [sm, root begin, root success] then r0's pair, then r2's pair before r1's pair, then the outputs entry.
    const [sm, rb, rs, b0, s0, b1, s1, b2, s2, outputs] = entries
    for (const batch of [[sm, rb, rs], [b0, s0], [b2, s2], [b1, s1], [outputs]]) {
      await sendJournal(cli, outOfOrder, batch)
    }
    await complete(cli, outOfOrder)
    // Arrival order would give r0, r2, r1.
    assert.deepEqual((await exportOf(shuffled)).slice(1), (await exportOf(ordered)).slice(1))
    assert.deepEqual((await exportOf(shuffled)).slice(1), ['r0', 'r1', 'r2'])
  })
})
