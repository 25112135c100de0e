// A bounded, seeded fuzzer: valid CLI bodies for every route of a running update (and the stack routes around it),
// mutated at random — values swapped for out-of-range numbers, wrong types, huge or deep values, keys dropped or
// added, bytes truncated or flipped, gzip broken. Whatever happens, the server never answers 5xx, every error is in
// the CLI's shape, and the update can still be finished normally afterwards. Fixed seed: failures reproduce.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { gzipSync } from 'node:zlib'
import { CliApiError, type CliClient } from '../support/cli-client.js'
import { useTestServer } from '../support/test-server.js'
import {
  complete,
  createAndStart,
  leaseAuth,
  type RunningUpdate,
  type StackId,
  stackPath,
} from '../support/update-driver.js'
import {
  createStack,
  exportOf,
  JournalWriter,
  resourceState,
  rootUrn,
  sha256Hex,
  verbatimBody,
} from '../support/update-uploads.js'

const SEED = 0x5eed_2026
const MUTANTS_PER_BODY = 40

/** mulberry32: small, seedable, good enough to pick mutations. */
function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(list: readonly T[]) => list[Math.floor(next() * list.length)] as T,
  }
}
type Rng = ReturnType<typeof prng>

const deep = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`)
// What replaces a number when the fuzzer aims at one: out of the safe range, negative, fractional, far ahead.
const NUMBER_REPLACEMENTS: ((n: number) => unknown)[] = [
  () => 1e20,
  () => 2 ** 53 + 2,
  () => -1,
  () => 0.5,
  (n) => n + 1000,
  (n) => -n,
  (n) => String(n),
]
const REPLACEMENTS: (() => unknown)[] = [
  () => 1e20,
  () => -1,
  () => 1.5,
  () => 2 ** 53 + 2,
  () => -(2 ** 53 + 2),
  () => 0,
  () => '',
  () => 'x'.repeat(70_000),
  () => '..',
  () => 'urn:pulumi:::',
  () => null,
  () => true,
  () => [],
  () => ({}),
  () => [1, 'a', null],
  () => ({ __proto__: 1, constructor: 'x' }),
  () => deep(1500),
]

/** Every path to a value inside `value` (the root included). */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  out.push(prefix)
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) paths(v, [...prefix, i], out)
  } else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out)
  return out
}

function mutateValue(rng: Rng, value: unknown): unknown {
  const copy = structuredClone(value)
  const all = paths(copy)
  // Half the time aim at a number (sequence numbers, ids, indices, versions): the values that poison state.
  const numbers = all.filter(
    (p) => typeof p.reduce((n, k) => (n as Record<string | number, unknown>)[k], copy) === 'number',
  )
  type Node = Record<string | number, unknown>
  if (numbers.length > 0 && rng.next() < 0.5) {
    const path = rng.pick(numbers)
    const parent = path.slice(0, -1).reduce((node, key) => node[key] as Node, copy as Node)
    const key = path.at(-1) as string | number
    parent[key] = rng.pick(NUMBER_REPLACEMENTS)(parent[key] as number)
    return copy
  }
  const path = rng.pick(all)
  if (path.length === 0) return rng.pick(REPLACEMENTS)()
  const parent = path.slice(0, -1).reduce((node, key) => node[key] as Node, copy as Node)
  const key = path.at(-1) as string | number
  switch (rng.int(4)) {
    case 0:
      if (Array.isArray(parent)) parent.splice(key as number, 1)
      else delete parent[key]
      break
    case 1:
      if (Array.isArray(parent)) parent.push(rng.pick(REPLACEMENTS)())
      else parent[`unknown${rng.int(9)}`] = rng.pick(REPLACEMENTS)()
      break
    default:
      parent[key] = rng.pick(REPLACEMENTS)()
  }
  return copy
}

function mutateBytes(rng: Rng, bytes: Buffer): Buffer {
  const at = rng.int(bytes.length + 1)
  switch (rng.int(4)) {
    case 0:
      return bytes.subarray(0, at)
    case 1: {
      const copy = Buffer.from(bytes)
      if (copy.length > 0) copy[Math.min(at, copy.length - 1)] = rng.int(256)
      return copy
    }
    case 2:
      return Buffer.concat([
        bytes.subarray(0, at),
        Buffer.from(rng.pick(['"', '{', ']', '\\u0000', '1e999', '\u00ff'])),
        bytes.subarray(at),
      ])
    default:
      return Buffer.concat([bytes, Buffer.from(rng.pick([' ', 'x', ',{}', '\n{"a":1}']))])
  }
}

interface Target {
  method: string
  path: string
  lease?: RunningUpdate
  /** A valid body; a function gets the mutant's number, so each mutant can carry fresh sequence ids. */
  body: unknown | ((i: number) => unknown)
  /** Accepted mutants change this route's expectations (a sequence number, the lease token): sent body, answer. */
  accepted?: (body: Buffer, answer: unknown) => void
}

describe('bounded fuzzing of CLI bodies', () => {
  let cli: CliClient
  useTestServer({ args: ['-max-json-body-size=262144'] }, (started) => {
    cli = started.client
  })

  /** Sends mutants of a valid body; returns how many were answered with each status. */
  async function fuzz(rng: Rng, target: Target, statuses: Map<number, number>) {
    for (let i = 0; i < MUTANTS_PER_BODY; i++) {
      const body = typeof target.body === 'function' ? target.body(rng.int(1_000_000)) : target.body
      const bytes =
        rng.next() < 0.7
          ? Buffer.from(JSON.stringify(mutateValue(rng, body)))
          : mutateBytes(rng, Buffer.from(JSON.stringify(body)))
      const gzip = rng.next() < 0.5
      let wire = gzip ? gzipSync(bytes) : bytes
      if (gzip && rng.next() < 0.1)
        wire = wire.subarray(0, wire.length - 1 - rng.int(Math.min(8, wire.length - 1)))
      let status: number
      try {
        const response = await cli.call(target.method, target.path, {
          rawBody: wire,
          headers: gzip ? { 'Content-Encoding': 'gzip' } : {},
          ...(target.lease ? { auth: leaseAuth(target.lease) } : {}),
        })
        status = response.status
        target.accepted?.(bytes, response.body)
      } catch (error) {
        assert.ok(error instanceof CliApiError, `${target.method} ${target.path}: ${String(error)}`)
        status = error.status
        const what = `${target.method} ${target.path} answered ${status} (${error.apiMessage}) to ${bytes.subarray(0, 300).toString()}`
        assert.ok(status >= 400 && status < 500, what)
        assert.equal(error.code, status, what)
        assert.ok(error.apiMessage.length > 0, what)
      }
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
    }
  }

  it('journaled update: never 5xx, and the update still completes with the state it was sent', async () => {
    const rng = prng(SEED)
    const stack: StackId = { org: 'acme', project: 'fuzz', stack: 'journal' }
    await createStack(cli, stack)
    const update = await createAndStart(cli, stack)
    const journal = new JournalWriter()
    journal.secretsManager(stack)
    journal.create({ urn: rootUrn(stack), custom: false, type: 'pulumi:pulumi:Stack' })
    journal.create(resourceState(stack, 'first'))
    const opening = journal.take()
    await cli.call('PATCH', `${update.path}/journalentries`, {
      auth: leaseAuth(update),
      gzip: true,
      body: { entries: opening },
    })

    // Each mutant gets its own sequence ids, far beyond the real ones (an id already seen is a retry and skipped).
    const batch = (n: number) => {
      const template = new JournalWriter({ seq: 10_000 + n * 10, op: 1_000 + n * 10 })
      template.create(resourceState(stack, `fuzzed${n}`))
      template.entry({
        kind: 4,
        operationID: ++template.op,
        removeNew: 1,
        state: { urn: rootUrn(stack), custom: false, type: 'pulumi:pulumi:Stack', outputs: { n } },
      })
      return { entries: template.take() }
    }
    const path = stackPath(stack)
    const targets: Target[] = [
      {
        method: 'PATCH',
        path: `${update.path}/journalentries`,
        lease: update,
        body: batch,
      },
      {
        method: 'POST',
        path: `${update.path}/events/batch`,
        lease: update,
        body: {
          events: [
            {
              sequence: 5000,
              timestamp: 1,
              resourcePreEvent: {
                metadata: { op: 'create', urn: rootUrn(stack), type: 'pulumi:pulumi:Stack' },
              },
            },
          ],
        },
      },
      {
        method: 'POST',
        path: `${update.path}/renew_lease`,
        lease: update,
        body: { token: '', duration: 300 },
        // A renewal hands out the token later requests must carry.
        accepted: (_body, answer) => {
          update.token = (answer as { token: string }).token
        },
      },
      {
        method: 'POST',
        path: `${path}/encrypt`,
        body: { plaintext: Buffer.from('secret').toString('base64') },
      },
      { method: 'POST', path: `${path}/batch-decrypt`, body: { ciphertexts: ['AAAA'] } },
      { method: 'PATCH', path: `${path}/tags`, body: { owner: 'me' } },
      { method: 'POST', path: '/api/stacks/acme/fuzz', body: { stackName: 'created', tags: { a: 'b' } } },
      {
        method: 'POST',
        path: `${path}/update`,
        body: {
          name: 'fuzz',
          runtime: 'nodejs',
          config: { 'fuzz:a': { string: 'b', secret: false } },
          metadata: { message: 'm', environment: {} },
        },
      },
    ]
    const statuses = new Map<number, number>()
    for (let round = 0; round < 2; round++) for (const target of targets) await fuzz(rng, target, statuses)
    assert.ok((statuses.get(400) ?? 0) > 0, 'the fuzzer produced refusals')

    // The CLI goes on: a real batch with the next sequence ids, then complete.
    journal.create(resourceState(stack, 'last'))
    await cli.call('PATCH', `${update.path}/journalentries`, {
      auth: leaseAuth(update),
      gzip: true,
      body: { entries: journal.take() },
    })
    await complete(cli, update)
    const urns = ((await exportOf(cli, stack)).json.deployment.resources ?? []).map((r) => String(r.urn))
    assert.ok(
      urns.includes(resourceState(stack, 'first').urn) && urns.includes(resourceState(stack, 'last').urn),
      urns.join('\n'),
    )
  })

  it('checkpointed update: never 5xx, and a stale or skipped-ahead sequence never blocks the real next checkpoint', async () => {
    const rng = prng(SEED + 1)
    const stack: StackId = { org: 'acme', project: 'fuzz', stack: 'checkpoint' }
    await createStack(cli, stack)
    const update = await createAndStart(cli, stack, { journal: false })
    const deployment = (name: string) => ({
      manifest: { time: '2026-01-01T00:00:00Z', magic: '', version: '' },
      metadata: {},
      resources: [
        { urn: `urn:pulumi:checkpoint::fuzz::t:index:R::${name}`, custom: true, type: 't:index:R' },
      ],
    })
    const text = JSON.stringify({ version: 3, deployment: deployment('one') })
    let sequence = 1
    await cli.call('PATCH', `${update.path}/checkpointverbatim`, {
      auth: leaseAuth(update),
      gzip: true,
      rawBody: verbatimBody(text, sequence),
    })
    // The CLI numbers checkpoints 1, 2, 3…: an accepted mutant may repeat the last number or take the next one,
    // never jump ahead (which would make the CLI's real next checkpoint stale).
    const track = (body: Buffer) => {
      const seq = (JSON.parse(body.toString()) as { sequenceNumber?: number }).sequenceNumber
      assert.ok(seq === sequence || seq === sequence + 1, `accepted sequence number ${seq} after ${sequence}`)
      sequence = seq
    }
    const second = text.replace('::one', '::two')
    const at = text.indexOf('::one') + 2
    const targets: Target[] = [
      {
        method: 'PATCH',
        path: `${update.path}/checkpointverbatim`,
        lease: update,
        body: { version: 3, untypedDeployment: JSON.parse(text), sequenceNumber: 2 },
        accepted: track,
      },
      {
        method: 'PATCH',
        path: `${update.path}/checkpointdelta`,
        lease: update,
        body: {
          version: 3,
          checkpointHash: sha256Hex(second),
          sequenceNumber: 2,
          deploymentDelta: [
            {
              Span: {
                uri: '',
                start: { line: 1, column: 1, offset: at },
                end: { line: 1, column: 1, offset: at + 3 },
              },
              NewText: 'two',
            },
          ],
        },
        accepted: track,
      },
      { method: 'POST', path: `${update.path}/complete`, lease: update, body: { status: 'maybe' } },
    ]
    const statuses = new Map<number, number>()
    for (let round = 0; round < 2; round++) for (const target of targets) await fuzz(rng, target, statuses)
    // The update may have ended only if a mutant of the complete body was a valid one, which 'maybe' never becomes.
    const finalText = JSON.stringify({ version: 3, deployment: deployment('final') })
    await cli.call('PATCH', `${update.path}/checkpointverbatim`, {
      auth: leaseAuth(update),
      gzip: true,
      rawBody: verbatimBody(finalText, sequence + 1),
    })
    await complete(cli, update)
    assert.equal((await exportOf(cli, stack)).raw.toString(), finalText)
  })
})
