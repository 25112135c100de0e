// Lease renewal under retries (issue 7 §1): the CLI retries renew_lease after a lost response with the same old
// token (client/api.go :: doWithRetry) while uploads built with whichever token they had are in flight
// (state.go :: newUpdate shares one token source). A retried renew answers the current token and rotates nothing;
// uploads with the current or the previous token are accepted, older ones refused (401).
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { describe, it } from 'node:test'
import { assertApiError } from '../support/assert-api-error.js'
import type { CliClient } from '../support/cli-client.js'
import { startTestServer, useTestServer } from '../support/test-server.js'
import {
  complete,
  createAndStart,
  createEntries,
  type RunningUpdate,
  renewLease,
  sendEvents,
  sendJournal,
  withToken,
} from '../support/update-driver.js'
import {
  createStack,
  exportOf,
  patchUpdate,
  recordedDeltaChain,
  resourceUrns,
  stackFactory,
  urnNames,
  verbatimBody,
} from '../support/update-uploads.js'

const renew = (cli: CliClient, update: RunningUpdate, token: string) =>
  renewLease(cli, withToken(update, token))
const event = (sequence: number) => ({ sequence, timestamp: 1, stdoutEvent: { message: `m${sequence}` } })

const { text, delta } = recordedDeltaChain()

describe('lease renewal under retries', () => {
  let cli: CliClient
  useTestServer({}, (started) => {
    cli = started.client
  })
  const freshStack = stackFactory(() => cli, 'retry')

  it('a renew retried with the previous token answers the current token; journal, events and complete accept the last two tokens', async () => {
    const stack = await freshStack()
    const update = await createAndStart(cli, stack)
    const entries = createEntries(stack, 3)
    const t0 = update.token

    const t1 = await renew(cli, update, t0)
    assert.notEqual(t1, t0)
    // The response was lost: the CLI sends the same request again.
    assert.equal(await renew(cli, update, t0), t1, 'a retried renew rotates nothing')
    assert.equal(await renew(cli, update, t0), t1)
    await sendJournal(cli, withToken(update, t0), entries.slice(0, 2))
    await sendEvents(cli, withToken(update, t0), [event(0)])
    await sendJournal(cli, withToken(update, t1), entries.slice(2, 4))
    await sendEvents(cli, withToken(update, t1), [event(1)])

    // Two retries racing each other still rotate once.
    const [t2, t2again] = await Promise.all([renew(cli, update, t1), renew(cli, update, t1)])
    assert.ok(t2)
    assert.equal(t2again, t2)
    assert.notEqual(t2, t1)

    // t0 is two rotations old now: refused on every update-token route.
    await assertApiError(sendJournal(cli, withToken(update, t0), entries.slice(4, 6)), 401)
    await assertApiError(sendEvents(cli, withToken(update, t0), [event(2)]), 401)
    await assertApiError(renew(cli, update, t0), 401)
    await assertApiError(complete(cli, withToken(update, t0)), 401)
    // The previous (t1) and the current (t2) are both good.
    await sendJournal(cli, withToken(update, t1), entries.slice(4, 6))
    await sendEvents(cli, withToken(update, t2), [event(2)])
    await sendJournal(cli, withToken(update, t2), entries.slice(6))
    await complete(cli, withToken(update, t1))
    await complete(cli, withToken(update, t2)) // a retried complete with the other token is a no-op
    assert.deepEqual(urnNames(await resourceUrns(cli, stack)), ['web-retry1', 'r0', 'r1', 'r2'])
  })

  it('full, verbatim and delta checkpoints accept the current and the previous token, not the one before', async () => {
    const stack = await freshStack()
    const update = await createAndStart(cli, stack, { journal: false })
    assert.equal(update.journalVersion, 0)
    const t0 = update.token
    const t1 = await renew(cli, update, t0)
    assert.equal(await renew(cli, update, t0), t1)

    const full = Buffer.from(
      `{"version":3,"deployment":${JSON.stringify(JSON.parse(text(1).toString()).deployment ?? {})}}`,
    )
    await patchUpdate(cli, withToken(update, t0), 'checkpoint', full)
    await patchUpdate(cli, withToken(update, t1), 'checkpointverbatim', verbatimBody(text(1), 1))
    const t2 = await renew(cli, update, t1)
    assert.equal(await renew(cli, update, t1), t2)
    await patchUpdate(cli, withToken(update, t1), 'checkpointdelta', delta(2))
    await assertApiError(patchUpdate(cli, withToken(update, t0), 'checkpointdelta', delta(3)), 401)
    await assertApiError(patchUpdate(cli, withToken(update, t0), 'checkpoint', full), 401)
    await assertApiError(
      patchUpdate(cli, withToken(update, t0), 'checkpointverbatim', verbatimBody(text(1), 3)),
      401,
    )
    await patchUpdate(cli, withToken(update, t2), 'checkpointdelta', delta(3))
    await complete(cli, withToken(update, t2))
    assert.equal((await exportOf(cli, stack)).raw.toString('utf8'), text(3).toString('utf8'))
  })
})

describe('other lifecycle requests the CLI retries after a lost response', () => {
  let cli: CliClient
  useTestServer({}, (started) => {
    cli = started.client
  })
  const freshStack = stackFactory(() => cli, 'again')

  it('a repeated cancel is a no-op (client.go :: CancelUpdate retries every method); a finished update is still refused', async () => {
    const stack = await freshStack()
    const update = await createAndStart(cli, stack)
    await sendJournal(cli, update, createEntries(stack, 1).slice(0, 5))
    await cli.call('POST', `${update.path}/cancel`)
    await cli.call('POST', `${update.path}/cancel`)
    assert.deepEqual(urnNames(await resourceUrns(cli, stack)), ['web-again1', 'r0'])
    const finished = await createAndStart(cli, stack)
    await complete(cli, finished)
    await assertApiError(
      cli.call('POST', `${finished.path}/cancel`),
      409,
      'Conflict: The update has already completed.',
    )
  })
})

describe('lease renewal across a restart', () => {
  it('a renew retried after the server restarted answers the same current token (tokens derive from the row)', async () => {
    const first = await startTestServer()
    const stack = { org: 'acme', project: 'web', stack: 'restart' }
    let update: RunningUpdate
    let t1: string
    try {
      await createStack(first.client, stack)
      update = await createAndStart(first.client, stack)
      t1 = await renew(first.client, update, update.token)
    } finally {
      await first.app.close()
    }
    const second = await startTestServer({ dir: first.dir })
    try {
      const cli = second.client
      assert.equal(await renew(cli, update, update.token), t1, 'the lost response is answered again')
      await sendJournal(cli, withToken(update, update.token), createEntries(stack, 1))
      const t2 = await renew(cli, update, t1)
      assert.notEqual(t2, t1)
      await assertApiError(sendEvents(cli, withToken(update, update.token), [event(0)]), 401)
      await complete(cli, withToken(update, t2))
      assert.deepEqual(urnNames(await resourceUrns(cli, stack)), ['web-restart', 'r0'])
    } finally {
      await second.close()
      rmSync(first.dir, { recursive: true, force: true })
    }
  })
})
