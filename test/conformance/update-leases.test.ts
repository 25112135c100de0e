// Lease tokens, expiry, cancellation and token scoping (protocol §1.7, §9): pkg/backend/httpstate/state.go ::
// newUpdate / RenewLeaseFunc, token_source.go, backend.go :: CancelCurrentUpdate, client.go :: updateRESTCall.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { assertApiError } from '../support/assert-api-error.js'
import type { CliClient } from '../support/cli-client.js'
import { type TestServer, useTestServer } from '../support/test-server.js'
import {
  complete,
  createAndStart,
  createEntries,
  historyResults,
  type RunningUpdate,
  type StackId,
  sendEvents,
  sendJournal,
  stackPath,
} from '../support/update-driver.js'
import { assertClientError, createStack, resourceUrns } from '../support/update-uploads.js'

/** POST …/renew_lease as token_source.go does: current lease token in the header, `{"token":"","duration":300}`. */
async function renew(cli: CliClient, update: RunningUpdate) {
  const response = await cli.call<{ token: string; tokenExpiration?: number }>(
    'POST',
    `${update.path}/renew_lease`,
    {
      auth: { kind: 'update-token', token: update.token },
      body: { token: '', duration: 300 },
    },
  )
  return response.body
}

const withToken = (update: RunningUpdate, token: string): RunningUpdate => ({ ...update, token })

async function eventsPage(cli: CliClient, update: RunningUpdate, token?: string) {
  const query = token === undefined ? '' : `?continuationToken=${token}`
  return (
    await cli.call<{
      events: { sequence: number; stdoutEvent?: { message: string } }[]
      continuationToken: string | null
    }>('GET', `${update.path}/events${query}`)
  ).body
}

const names = (urns: string[]) => urns.map((u) => u.split('::').at(-1))

describe('update leases and tokens', () => {
  let cli: CliClient
  let counter = 0

  useTestServer({}, (started) => {
    cli = started.client
  })

  async function freshStack(): Promise<StackId> {
    const stack = { org: 'acme', project: 'web', stack: `lease${++counter}` }
    await createStack(cli, stack)
    return stack
  }

  it('renew_lease returns a new token and an integer tokenExpiration; the previous token stays valid until the next renewal', async () => {
    const stack = await freshStack()
    const update = await createAndStart(cli, stack)
    const entries = createEntries(stack, 3)
    const first = await renew(cli, update)
    assert.equal(typeof first.token, 'string')
    assert.ok(first.token.length > 0, 'an empty token makes the CLI send no Authorization header')
    assert.notEqual(first.token, update.token)
    assert.ok(
      Number.isInteger(first.tokenExpiration),
      'tokenExpiration must be an integer (a string breaks decoding)',
    )

    // A request already in flight with the old token still lands.
    await sendJournal(cli, update, entries.slice(0, 3))
    const second = await renew(cli, withToken(update, first.token))
    assert.notEqual(second.token, first.token)
    await sendJournal(cli, withToken(update, first.token), entries.slice(3, 5))
    // Two renewals later the original token is gone.
    await assertApiError(sendJournal(cli, update, entries.slice(5, 7)), 401)
    await sendJournal(cli, withToken(update, second.token), entries.slice(5))
    await complete(cli, withToken(update, second.token))
    assert.deepEqual(names(await resourceUrns(cli, stack)), ['web-lease1', 'r0', 'r1', 'r2'])
  })

  it('pulumi cancel from another terminal ends the update with its state and frees the stack', async () => {
    const stack = await freshStack()
    const running = await createAndStart(cli, stack)
    await sendJournal(cli, running, createEntries(stack, 2).slice(0, 5))
    // backend.go :: CancelCurrentUpdate: GET stack → activeUpdate → POST …/update/{activeUpdate}/cancel (API token).
    const summary = await cli.call<{ activeUpdate: string }>('GET', stackPath(stack))
    assert.equal(summary.body.activeUpdate, running.id)
    const cancelled = await cli.call('POST', `${stackPath(stack)}/update/${summary.body.activeUpdate}/cancel`)
    assert.equal(cancelled.status, 200)

    // The running CLI's next update-token calls fail (4xx, so it stops instead of retrying)...
    await assertClientError(sendJournal(cli, running, createEntries(stack, 2).slice(5)))
    await assertClientError(
      sendEvents(cli, running, [{ sequence: 0, timestamp: 1, stdoutEvent: { message: 'x' } }]),
    )
    await assertApiError(renew(cli, running), 403)
    // ...including its own complete.
    await assertClientError(complete(cli, running, 'failed'))
    await assertClientError(complete(cli, running, 'succeeded'))

    // The stack is free and keeps what the cancelled update journaled (root and r0).
    assert.deepEqual(names(await resourceUrns(cli, stack)), ['web-lease2', 'r0'])
    const next = await createAndStart(cli, stack)
    assert.equal(next.version, 2)
    await complete(cli, next)
    assert.deepEqual(await historyResults(cli, stack), [
      [2, 'succeeded'],
      [1, 'failed'],
    ])
  })

  it('accepts each token kind only where the CLI sends it (401 otherwise)', async () => {
    const stack = await freshStack()
    const update = await createAndStart(cli, stack)
    // An access token on an update-token route.
    await assertApiError(
      cli.call('PATCH', `${update.path}/journalentries`, { gzip: true, body: { entries: [] } }),
      401,
    )
    await assertApiError(cli.call('POST', `${update.path}/complete`, { body: { status: 'succeeded' } }), 401)
    // An update token on access-token routes.
    const lease = { kind: 'update-token' as const, token: update.token }
    await assertApiError(cli.call('GET', stackPath(stack), { auth: lease }), 401)
    await assertApiError(cli.call('GET', `${stackPath(stack)}/export`, { auth: lease }), 401)
    await assertApiError(cli.call('POST', `${update.path}/cancel`, { auth: lease }), 401)
    // No token at all, or an unknown one.
    await assertApiError(
      cli.call('POST', `${update.path}/renew_lease`, {
        auth: { kind: 'update-token', token: '' },
        body: { duration: 300 },
      }),
      401,
    )
    await assertApiError(renew(cli, withToken(update, 'lease-not-a-real-token')), 401)
    await complete(cli, update)
  })

  it("refuses update A's lease on update B of the same stack (403) and unknown update ids (404)", async () => {
    const stack = await freshStack()
    const a = await createAndStart(cli, stack)
    // A preview can run beside A (no lock).
    const b = await createAndStart(cli, stack, { kind: 'preview', dryRun: true })
    const aOnB = { ...b, token: a.token }
    await assertApiError(
      sendEvents(cli, aOnB, [{ sequence: 0, timestamp: 1, stdoutEvent: { message: 'x' } }]),
      403,
    )
    await assertApiError(complete(cli, aOnB), 403)
    await assertApiError(renew(cli, aOnB), 403)

    const unknown = `${stackPath(stack)}/update/${randomUUID()}`
    await assertApiError(cli.call('GET', unknown), 404)
    await assertApiError(cli.call('GET', `${unknown}/events`), 404)
    await assertApiError(cli.call('POST', `${unknown}/cancel`), 404)
    await assertApiError(cli.call('POST', unknown, { body: { journalVersion: 1 } }), 404)
    await complete(cli, b)
    await complete(cli, a)
  })

  it('refuses entries and events after complete with a 4xx; complete itself is idempotent', async () => {
    const stack = await freshStack()
    const update = await createAndStart(cli, stack)
    const entries = createEntries(stack, 1)
    await sendJournal(cli, update, entries)
    await complete(cli, update)
    await complete(cli, update)
    await assertClientError(sendJournal(cli, update, entries))
    await assertClientError(sendJournal(cli, update, createEntries(stack, 3).slice(5)))
    await assertClientError(
      sendEvents(cli, update, [{ sequence: 0, timestamp: 1, stdoutEvent: { message: 'late' } }]),
    )
    await assertApiError(renew(cli, update), 403)
    await assertClientError(complete(cli, update, 'failed'))
    assert.deepEqual(names(await resourceUrns(cli, stack)), ['web-lease5', 'r0'])
  })

  it('stores out-of-order event batches with duplicates once, in sequence order; continuationToken is null only after complete', async () => {
    const stack = await freshStack()
    const update = await createAndStart(cli, stack)
    const event = (sequence: number) => ({
      sequence,
      timestamp: 1,
      stdoutEvent: { message: `m${sequence}`, color: 'raw' },
    })
    // Up to 3 batches in flight (state.go :: persistEngineEvents), and retried batches after a 5xx.
    await Promise.all([
      sendEvents(cli, update, [event(4), event(5)]),
      sendEvents(cli, update, [event(2), event(3)]),
      sendEvents(cli, update, [event(0), event(1)]),
    ])
    await sendEvents(cli, update, [event(2), event(3)])
    await sendEvents(cli, update, [event(6), event(6)])

    const running = await eventsPage(cli, update)
    assert.equal(typeof running.continuationToken, 'string', 'a running update has more events to come')
    assert.notEqual(running.continuationToken, '')
    // Following the token while running is a valid request.
    await eventsPage(cli, update, running.continuationToken ?? '')

    await complete(cli, update)
    const done = await eventsPage(cli, update)
    assert.deepEqual(
      done.events.map((e) => e.sequence),
      [0, 1, 2, 3, 4, 5, 6],
    )
    assert.deepEqual(
      done.events.map((e) => e.stdoutEvent?.message),
      ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6'],
    )
    assert.equal(done.continuationToken, null, 'readers stop on null')
  })

  it('round-trips a real engine event stream sent as concurrent batches of 50, and takes history from its summary', async () => {
    const stack = await freshStack()
    const update = await createAndStart(cli, stack)
    // state.go :: persistEngineEvents never sends the engine's final CancelEvent.
    const stream = readFileSync(
      new URL('../fixtures/events/not-truncated-template-body.json', import.meta.url),
      'utf8',
    )
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { sequence: number; cancelEvent?: unknown })
      .filter((event) => event.cancelEvent === undefined)
    const batches = [0, 50, 100].map((i) => stream.slice(i, i + 50))
    await Promise.all(batches.reverse().map((batch) => sendEvents(cli, update, batch)))
    await sendEvents(cli, update, batches[1] ?? []) // a retried batch
    await complete(cli, update)

    const done = await eventsPage(cli, update)
    assert.deepEqual(done.events, stream)
    assert.equal(done.continuationToken, null)
    const history = await cli.call<{ updates: { resourceChanges: Record<string, number> }[] }>(
      'GET',
      `${stackPath(stack)}/updates?pageSize=1&page=1`,
    )
    assert.deepEqual(history.body.updates[0]?.resourceChanges, { same: 57, update: 1 })
  })
})

describe('lease expiry', () => {
  let cli: CliClient
  let server: TestServer
  const stack = { org: 'acme', project: 'web', stack: 'expiry' }
  // The server's clock: moved past a lease instead of sleeping through it.
  let now = Date.now()
  const LEASE_MS = 5 * 60_000
  const lapse = () => {
    now += LEASE_MS + 1000
  }

  useTestServer({ overrides: { clock: { now: () => now } } }, async (started) => {
    server = started
    cli = started.client
    await createStack(cli, stack)
  })

  it('an expired lease frees the stack, keeps the journaled state and refuses the old token', async () => {
    const abandoned = await createAndStart(cli, stack)
    const entries = createEntries(stack, 2)
    await sendJournal(cli, abandoned, entries.slice(0, 5))

    // The CLI died: nothing renews the lease. A new update gets the stack once the lease has run out.
    const created = await cli.call<{ updateID: string }>('POST', `${stackPath(stack)}/update`, {
      body: { options: { dryRun: false } },
    })
    const startPath = `${stackPath(stack)}/update/${created.body.updateID}`
    await assertApiError(cli.call('POST', startPath, { body: { journalVersion: 1 } }), 409)
    lapse()
    const started = (
      await cli.call<{ version: number; token: string }>('POST', startPath, { body: { journalVersion: 1 } })
    ).body
    assert.equal(started.version, 2, 'the expired update keeps version 1')

    // What the abandoned update journaled (root, r0) is the new base.
    assert.deepEqual(names(await resourceUrns(cli, stack)), ['web-expiry', 'r0'])
    assert.deepEqual(names(await resourceUrns(cli, stack, 1)), ['web-expiry', 'r0'])

    // The old lease is dead: renew → 403 (token_source.go treats it as terminal), uploads → 4xx.
    await assertApiError(renew(cli, abandoned), 403)
    await assertClientError(sendJournal(cli, abandoned, entries.slice(5)))
    await assertClientError(complete(cli, abandoned, 'succeeded'))

    const next: RunningUpdate = {
      id: created.body.updateID,
      version: started.version,
      token: started.token,
      journalVersion: 1,
      path: startPath,
    }
    await complete(cli, next)
    assert.deepEqual(await historyResults(cli, stack), [
      [2, 'succeeded'],
      [1, 'failed'],
    ])
  })

  it('the expiry sweep ends an abandoned update without any other request touching it', async () => {
    const abandoned = await createAndStart(cli, stack)
    await server.app.jobs.runOnce()
    assert.equal((await cli.call<{ status: string }>('GET', abandoned.path)).body.status, 'running')
    lapse()
    await server.app.jobs.runOnce()
    assert.equal((await cli.call<{ status: string }>('GET', abandoned.path)).body.status, 'failed')
    const summary = await cli.call<{ activeUpdate: string; currentOperation?: unknown }>(
      'GET',
      stackPath(stack),
    )
    assert.equal(summary.body.currentOperation, undefined, 'no update is in progress any more')
  })

  it('renewing an expired lease is refused with 403 (the CLI stops renewing); a renewed lease lives on', async () => {
    const renewed = await createAndStart(cli, stack)
    now += LEASE_MS - 1000
    const token = await renew(cli, renewed)
    now += LEASE_MS - 1000
    await server.app.jobs.runOnce()
    await sendJournal(cli, withToken(renewed, token.token), createEntries(stack, 1))
    await complete(cli, withToken(renewed, token.token))

    const expired = await createAndStart(cli, stack)
    lapse()
    await assertApiError(renew(cli, expired), 403)
    assert.equal((await cli.call<{ status: string }>('GET', expired.path)).body.status, 'failed')
  })
})
