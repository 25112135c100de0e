// Three server PROCESSES on one PostgreSQL database (issue 9, part 3), as an operator runs replicas: same master key,
// nothing shared but the database. The client is the CLI-exact one behind a plain round-robin balancer, retrying
// what fails without an answer as the CLI does (test/support/round-robin.ts). Exports are compared with the state
// the uploads describe, history with the updates run; one replica is SIGKILLed while requests are in flight.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { connect, createServer, type Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { CliApiError, CliClient } from '../support/cli-client.js'
import { findPostgresBinaries, SHARED_CLUSTER_ENV, sharedTestDatabase } from '../support/postgres-cluster.js'
import { RoundRobin } from '../support/round-robin.js'
import { ServerProcess } from '../support/server-process.js'
import {
  complete,
  createAndStart,
  createEntries,
  renewLease,
  type StackId,
  sendEvents,
  sendJournal,
  stackPath,
  withToken,
} from '../support/update-driver.js'
import {
  assertClientError,
  exportOf,
  fixtureState,
  JournalWriter,
  patchUpdate,
  recordedDeltaChain,
  stackFactory,
  verbatimBody,
} from '../support/update-uploads.js'

function postgresSkip(): string | false {
  if (process.env[SHARED_CLUSTER_ENV]) return false
  const found = findPostgresBinaries()
  return 'missing' in found ? `PostgreSQL suites skipped: ${found.missing}` : false
}
const skip = postgresSkip()
if (skip) console.log(`# test/replicas: ${skip}`)

type Entry = Record<string, unknown> & { kind?: number; state?: Record<string, unknown> & { urn?: string } }

/** The resources the entries of createEntries describe: each Success state in order, the Outputs entry in place. */
function expectedResources(entries: Entry[]): Record<string, unknown>[] {
  const resources: Record<string, unknown>[] = []
  for (const entry of entries) {
    if (entry.kind === 1 && entry.state) resources.push(entry.state)
    if (entry.kind === 4 && entry.state) {
      const at = resources.findIndex((r) => r.urn === entry.state?.urn)
      resources[at] = entry.state
    }
  }
  return JSON.parse(JSON.stringify(resources))
}

/** Steps as the CLI journals them: the secrets manager with the first step, then Begin + Success per step. */
function stepBatches(entries: Entry[]): Entry[][] {
  const batches: Entry[][] = [entries.slice(0, 3)]
  for (let i = 3; i < entries.length - 1; i += 2) batches.push(entries.slice(i, i + 2))
  batches.push(entries.slice(-1))
  return batches
}

/** `pulumi stack history` as [version, kind, result], newest first. */
async function history(cli: CliClient, stack: StackId): Promise<[number, string, string][]> {
  const response = await cli.call<{ updates: { version: number; kind: string; result: string }[] }>(
    'GET',
    `${stackPath(stack)}/updates?pageSize=50&page=1`,
  )
  return response.body.updates.map((u) => [u.version, u.kind, u.result])
}

/**
 * A TCP proxy to a replica that forwards requests but holds back every answer: `answerArrived` resolves when the
 * replica has answered (so it stored the upload); its answer never reaches the client, whose connection is cut
 * when the replica dies.
 */
async function answerHoldingProxy(port: number) {
  const sockets: Socket[] = []
  let arrived: () => void = () => {}
  const answerArrived = new Promise<void>((resolve) => {
    arrived = resolve
  })
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1')
    sockets.push(client, upstream)
    client.pipe(upstream)
    upstream.on('data', () => arrived())
    upstream.on('close', () => client.destroy())
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  assert.ok(address && typeof address === 'object')
  return {
    url: `http://127.0.0.1:${address.port}`,
    answerArrived,
    close() {
      for (const socket of sockets) socket.destroy()
      server.close()
    },
  }
}

const event = (sequence: number) => ({
  sequence,
  timestamp: 1,
  stdoutEvent: { message: `e${sequence}`, color: 'raw' },
})

describe('three replica processes on one PostgreSQL database', { skip }, () => {
  const masterKey = randomBytes(32).toString('hex')
  const token = `replicas-${randomBytes(8).toString('hex')}`
  let replicas: ServerProcess[] = []
  let rr: RoundRobin
  const clients = () => replicas.map((r) => r.client)

  let db = ''
  before(async () => {
    db = await sharedTestDatabase()
    replicas = [0, 1, 2].map(() => new ServerProcess({ db, masterKey, token }))
    // Started together: they take turns migrating the schema on an advisory lock.
    await Promise.all(replicas.map((r) => r.start()))
    rr = new RoundRobin(clients)
  })
  after(async () => {
    await Promise.all(replicas.map((r) => r.dispose()))
  })

  const freshStack = stackFactory(() => rr, 'rep')

  /** Every replica exports the same deployment resources, equal to `expected`. */
  async function assertExports(stack: StackId, expected: unknown[], version?: number) {
    for (const [i, client] of clients().entries()) {
      const { json } = await exportOf(client, stack, version)
      assert.deepEqual(json.deployment.resources ?? [], expected, `export from replica ${i}`)
      assert.equal(json.deployment.pending_operations, undefined)
    }
  }

  it('a journaled update, then a destroy, round-robin with every batch retried on the next replica', async () => {
    const stack = await freshStack()
    const update = await createAndStart(rr, stack)
    assert.equal(update.journalVersion, 1)
    const entries = createEntries(stack, 12) as Entry[]
    let sequence = 0
    for (const batch of stepBatches(entries)) {
      await sendJournal(rr, update, batch)
      await sendJournal(rr, update, batch) // its answer was "lost": the CLI resends it, the next replica gets it
      await sendEvents(rr, update, [event(sequence++), event(sequence++)])
    }
    await sendEvents(rr, update, [event(0), event(1)]) // a resent event batch stores nothing twice
    await complete(rr, update)
    await complete(rr, update)
    const created = expectedResources(entries)
    await assertExports(stack, created)
    const events = await rr.call<{ events: { sequence: number }[] }>('GET', `${update.path}/events`)
    assert.deepEqual(
      events.body.events.map((e) => e.sequence),
      Array.from({ length: sequence }, (_, i) => i),
    )

    // pulumi destroy: deleting entries whose removeOld indexes the base [root, r0…r11], dependents first.
    const destroy = await createAndStart(rr, stack, { kind: 'destroy' })
    const journal = new JournalWriter()
    journal.secretsManager(stack)
    for (let index = created.length - 1; index >= 0; index--) {
      const op = journal.begin({ type: 'deleting', resource: created[index] as Record<string, unknown> })
      journal.success(op, { removeOld: index })
      await sendJournal(rr, destroy, journal.take())
    }
    await complete(rr, destroy)
    await assertExports(stack, [])
    await assertExports(stack, created, 1)
    for (const client of clients())
      assert.deepEqual(await history(client, stack), [
        [2, 'destroy', 'succeeded'],
        [1, 'update', 'succeeded'],
      ])
  })

  it('verbatim + delta checkpoints round-robin: the exact text on every replica, retries recognised', async () => {
    const { text, delta } = recordedDeltaChain()
    const stack = await freshStack()
    const update = await createAndStart(rr, stack, { journal: false })
    await patchUpdate(rr, update, 'checkpointverbatim', verbatimBody(text(1), 1))
    await patchUpdate(rr, update, 'checkpointverbatim', verbatimBody(text(1), 1))
    for (const n of [2, 3, 4] as const) {
      await patchUpdate(rr, update, 'checkpointdelta', delta(n))
      await patchUpdate(rr, update, 'checkpointdelta', delta(n)) // resent: a no-op on another replica
      for (const client of clients())
        assert.equal((await exportOf(client, stack)).raw.toString('utf8'), text(n).toString('utf8'))
    }
    await complete(rr, update)
    for (const client of clients())
      assert.equal((await exportOf(client, stack, 1)).raw.toString('utf8'), text(4).toString('utf8'))
    assert.deepEqual(await history(rr, stack), [[1, 'update', 'succeeded']])
  })

  it('full checkpoints round-robin: the last one wins on every replica', async () => {
    const stack = await freshStack()
    const update = await createAndStart(rr, stack, { journal: false })
    const body = (name: string) =>
      Buffer.from(`{"version":3,"deployment":${JSON.stringify(fixtureState(name).deployment)}}`)
    for (const name of ['eks-cluster-2.5.2.json', 'eks-cluster-3.0.0.json', 'eks-cluster-2.5.2.json'])
      await patchUpdate(rr, update, 'checkpoint', body(name))
    await complete(rr, update)
    for (const client of clients())
      assert.deepEqual((await exportOf(client, stack)).json, fixtureState('eks-cluster-2.5.2.json'))
    assert.deepEqual(await history(rr, stack), [[1, 'update', 'succeeded']])
  })

  it('20 concurrent updates on 20 stacks, every request to the next replica', async () => {
    const stacks = await Promise.all(Array.from({ length: 20 }, () => freshStack()))
    const run = async (stack: StackId) => {
      const update = await createAndStart(rr, stack)
      const entries = createEntries(stack, 10, 512) as Entry[]
      let sequence = 0
      for (const batch of stepBatches(entries)) {
        await sendJournal(rr, update, batch)
        await sendEvents(rr, update, [event(sequence++)])
      }
      await complete(rr, update)
      return entries
    }
    const entries = await Promise.all(stacks.map(run))
    for (const [i, stack] of stacks.entries()) {
      await assertExports(stack, expectedResources(entries[i] as Entry[]))
      assert.deepEqual(await history(rr, stack), [[1, 'update', 'succeeded']])
    }
  })

  it('the stack lock holds across replicas: a second update started on another replica is refused with 409', async () => {
    const [a, b, c] = clients() as [CliClient, CliClient, CliClient]
    const stack = await freshStack()
    const first = await createAndStart(a, stack)
    for (const client of [b, c]) {
      const error = await assertClientError(createAndStart(client, stack), 409)
      assert.match(error.apiMessage, /Another update is currently in progress/)
    }
    await sendJournal(b, first, createEntries(stack, 1))
    await complete(c, first)
    const second = await createAndStart(b, stack)
    assert.equal(second.version, 2)
    await complete(a, second)
    assert.deepEqual(await history(rr, stack), [
      [2, 'update', 'succeeded'],
      [1, 'update', 'succeeded'],
    ])
  })

  it('renew on one replica, uploads on another; the token rotated away is refused on the third', async () => {
    const [a, b, c] = clients() as [CliClient, CliClient, CliClient]
    const stack = await freshStack()
    const update = await createAndStart(a, stack)
    const entries = createEntries(stack, 3) as Entry[]
    const t1 = await renewLease(a, update)
    await sendJournal(b, withToken(update, t1), entries.slice(0, 3))
    await sendJournal(c, update, entries.slice(3, 5)) // the first token is still in its grace window
    const t2 = await renewLease(b, withToken(update, t1))
    // C saw the first token valid before; it must not accept it once B rotated it away.
    await assertClientError(sendJournal(c, update, entries.slice(5)), 401)
    await sendJournal(c, withToken(update, t2), entries.slice(5))
    await complete(a, withToken(update, t2))
    await assertExports(stack, expectedResources(entries))
  })

  it('cancel from any replica ends the update everywhere; the stack is free on every replica', async () => {
    for (const [i, canceller] of clients().entries()) {
      const [a, b, c] = clients() as [CliClient, CliClient, CliClient]
      const stack = await freshStack()
      const update = await createAndStart(a, stack)
      const entries = createEntries(stack, 3) as Entry[]
      await sendJournal(b, update, entries.slice(0, 5))
      await canceller.call('POST', `${update.path}/cancel`)
      for (const client of [a, b, c]) await assertClientError(sendJournal(client, update, entries.slice(5)))
      await assertClientError(complete(c, update))
      // What was journaled before the cancel is kept: root and r0.
      await assertExports(stack, expectedResources(entries.slice(0, 5)))
      const next = await createAndStart(clients()[(i + 1) % 3] as CliClient, stack)
      assert.equal(next.version, 2)
      await complete(clients()[(i + 2) % 3] as CliClient, next)
      assert.deepEqual(await history(rr, stack), [
        [2, 'update', 'succeeded'],
        [1, 'update', 'failed'],
      ])
    }
  })

  it('a replica SIGKILLed with requests in flight: the client moves on to the others, nothing acknowledged is lost', async (t) => {
    const victim = replicas[2] as ServerProcess
    const { text, delta } = recordedDeltaChain()
    // A big journaled update whose batches go straight to the victim, which is killed 0–20 ms after each is sent:
    // some die before the server read them, some after it committed them (the answer is lost); the CLI resends
    // the batch and the balancer hands it to a live replica.
    const big = await freshStack()
    const bigUpdate = await createAndStart(rr, big)
    const bigEntries = createEntries(big, 60, 4096) as Entry[]
    const batches = stepBatches(bigEntries)
    // Meanwhile 6 other updates (journaled, delta, full checkpoint) run round-robin over all three replicas.
    const others = await Promise.all(Array.from({ length: 6 }, () => freshStack()))
    const background = others.map(async (stack, i) => {
      const mode = i % 3
      const update = await createAndStart(rr, stack, { journal: mode === 0 })
      if (mode === 0) {
        const entries = createEntries(stack, 30, 256) as Entry[]
        for (const batch of stepBatches(entries)) await sendJournal(rr, update, batch)
        await complete(rr, update)
        return { stack, check: () => assertExports(stack, expectedResources(entries)) }
      }
      if (mode === 1) {
        await patchUpdate(rr, update, 'checkpointverbatim', verbatimBody(text(1), 1))
        for (const n of [2, 3, 4] as const) await patchUpdate(rr, update, 'checkpointdelta', delta(n))
        await complete(rr, update)
        return {
          stack,
          check: async () => {
            for (const client of clients())
              assert.equal((await exportOf(client, stack)).raw.toString('utf8'), text(4).toString('utf8'))
          },
        }
      }
      const state = fixtureState('eks-cluster-3.0.0.json')
      const body = Buffer.from(`{"version":3,"deployment":${JSON.stringify(state.deployment)}}`)
      for (let k = 0; k < 4; k++) await patchUpdate(rr, update, 'checkpoint', body)
      await complete(rr, update)
      return {
        stack,
        check: async () => {
          for (const client of clients()) assert.deepEqual((await exportOf(client, stack)).json, state)
        },
      }
    })

    const outcomes = { lostInFlight: 0, committedBeforeDeath: 0, answered: 0 }
    // Killed 0, 5 or 20 ms after the batch was sent (mostly before the replica stored it), or once it answered
    // but the answer is held back (stored, and the replica dies before the client hears of it).
    const kills: (number | 'after commit')[] = [0, 'after commit', 5, 'after commit', 20]
    let sent = 0
    for (const [k, batch] of batches.entries()) {
      const kill = k % 8 === 4 ? kills[Math.floor(k / 8)] : undefined
      if (kill === undefined) {
        await sendJournal(rr, bigUpdate, batch)
        continue
      }
      if (!victim.running) await victim.start()
      const proxy = await answerHoldingProxy(victim.port)
      const target = kill === 'after commit' ? new CliClient(proxy.url, token) : victim.client
      const inFlight = sendJournal(target, bigUpdate, batch).then(
        () => 'answered' as const,
        (error: unknown) => {
          if (error instanceof CliApiError) throw error
          return 'no answer' as const
        },
      )
      if (kill === 'after commit') await proxy.answerArrived
      else await sleep(kill)
      await victim.kill9()
      const outcome = await inFlight
      proxy.close()
      if (outcome === 'answered') outcomes.answered++
      else {
        outcomes.lostInFlight++
        // Did the dead replica store the batch before dying? (Its answer never reached the client either way.)
        const live = await exportOf(replicas[0]?.client as CliClient, big)
        const last = batch.at(-1)?.state?.urn
        if (live.json.deployment.resources?.some((r) => r.urn === last)) outcomes.committedBeforeDeath++
        await sendJournal(rr, bigUpdate, batch) // the CLI's retry, on a live replica
      }
      sent++
    }
    assert.equal(sent, kills.length)
    // The victim stays dead for the rest of the update: the balancer keeps offering it, the client moves on.
    await sendEvents(rr, bigUpdate, [event(0)])
    await complete(rr, bigUpdate)
    const checks = await Promise.all(background)
    t.diagnostic(
      `in-flight batches: ${outcomes.lostInFlight} lost with the replica (${outcomes.committedBeforeDeath} of them ` +
        `committed before it died), ${outcomes.answered} answered before the kill; client retries: ` +
        `${rr.retries.connection} after a connection failure, ${rr.retries.status5xx} after a 5xx`,
    )
    assert.ok(outcomes.lostInFlight > 0, 'at least one request died in flight with the replica')
    assert.ok(outcomes.committedBeforeDeath >= 2, 'the batches whose answers were held back had been stored')
    assert.ok(rr.retries.connection > 0, 'the round-robin client had to move past the dead replica')

    // Back up: every replica, the restarted one included, serves the exact states and history.
    await victim.start()
    await assertExports(big, expectedResources(bigEntries))
    assert.deepEqual(await history(rr, big), [[1, 'update', 'succeeded']])
    for (const { stack, check } of checks) {
      await check()
      assert.deepEqual(await history(rr, stack), [[1, 'update', 'succeeded']])
    }
  })

  it('the audit log all three replicas wrote at once is one intact hash chain', () => {
    // Found by the 20-update test: PostgreSQL transactions of different replicas appended on the same chain tail.
    const verify = spawnSync(process.execPath, ['bin/pulumi-backend.js', 'audit', 'verify', `-db=${db}`], {
      cwd: new URL('../../', import.meta.url).pathname,
      encoding: 'utf8',
    })
    assert.equal(verify.status, 0, verify.stdout + verify.stderr)
    assert.match(verify.stdout, /audit log intact: \d+ events/)
  })
})
