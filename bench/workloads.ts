// The workloads: CLI-exact request sequences for `pulumi up --skip-preview` / `destroy` (protocol §6, §7, §10),
// the DIY file-backend emulation, and the concurrency driver.
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { type CliClient, goJsonMarshal } from '../test/support/cli-client.js'
import {
  complete,
  createAndStart,
  type RunningUpdate,
  type StackId,
  sendEvents,
  sendJournal,
  stackPath,
} from '../test/support/update-driver.js'
import { type Recorder, summarize } from './stats.js'

export type Resource = Record<string, unknown> & { urn: string }

export interface StackModel {
  stack: StackId
  root: Resource
  resources: Resource[]
}

/** `count` random-string resources whose outputs are padded with random text to ~`bytes` bytes each. */
export function makeStack(stack: StackId, count: number, bytes = 16 * 1024): StackModel {
  const rootUrn = `urn:pulumi:${stack.stack}::${stack.project}::pulumi:pulumi:Stack::${stack.project}-${stack.stack}`
  const root: Resource = { urn: rootUrn, custom: false, type: 'pulumi:pulumi:Stack' }
  const resources: Resource[] = []
  for (let i = 0; i < count; i++) resources.push(makeResource(stack, i, bytes))
  return { stack, root, resources }
}

/** Resource `r<i>` of `stack`: a random string padded with random base64 text to ~`bytes` bytes. */
export function makeResource(stack: StackId, i: number, bytes = 16 * 1024): Resource {
  const rootUrn = `urn:pulumi:${stack.stack}::${stack.project}::pulumi:pulumi:Stack::${stack.project}-${stack.stack}`
  const padLength = Math.max(0, bytes - 400)
  return {
    urn: `urn:pulumi:${stack.stack}::${stack.project}::random:index/randomString:RandomString::r${i}`,
    custom: true,
    id: `id-${i}`,
    type: 'random:index/randomString:RandomString',
    inputs: { length: 16, special: false },
    outputs: {
      length: 16,
      result: randomBytes(12).toString('base64'),
      special: false,
      padding: randomBytes(Math.ceil((padLength * 3) / 4))
        .toString('base64')
        .slice(0, padLength),
    },
    parent: rootUrn,
    provider: '',
  }
}

const secretsProvider = (s: StackId) => ({
  type: 'service',
  state: { url: 'http://127.0.0.1', owner: s.org, project: s.project, stack: s.stack },
})

/** Journal entry factory with the CLI's per-update counters. */
class Journal {
  seq = 0
  op = 0
  entry(fields: Record<string, unknown>) {
    return { version: 1, sequenceID: ++this.seq, removeOld: null, removeNew: null, ...fields }
  }
}

/** Event batches of 50, up to 3 in flight, as recordEngineEvents does (§8). */
class EventSink {
  private buffer: unknown[] = []
  private sequence = 0
  private inflight: Promise<unknown>[] = []
  constructor(
    private readonly cli: CliClient,
    private readonly update: RunningUpdate,
  ) {}
  async push(payload: Record<string, unknown>) {
    this.buffer.push({ sequence: this.sequence++, timestamp: Math.floor(Date.now() / 1000), ...payload })
    if (this.buffer.length >= 50) await this.flush()
  }
  async flush() {
    if (this.buffer.length === 0) return
    const events = this.buffer
    this.buffer = []
    if (this.inflight.length >= 3) await this.inflight.shift()
    this.inflight.push(sendEvents(this.cli, this.update, events))
  }
  async close() {
    await this.flush()
    await Promise.all(this.inflight)
  }
}

const stepEvent = (
  kind: 'resourcePreEvent' | 'resOutputsEvent',
  op: string,
  r: Resource,
  withOutputs: boolean,
) => ({
  [kind]: {
    metadata: {
      op,
      urn: r.urn,
      type: r.type,
      old: null,
      new: {
        type: r.type,
        urn: r.urn,
        custom: r.custom,
        id: r.id ?? '',
        parent: r.parent ?? '',
        inputs: r.inputs ?? {},
        outputs: withOutputs ? (r.outputs ?? {}) : {},
        provider: '',
      },
      detailedDiff: null,
      provider: '',
    },
  },
})

/** The update phase of `pulumi up --skip-preview` up to start, then LOAD (§10). */
async function beginUpdate(rec: Recorder, model: StackModel, kind: 'update' | 'destroy', journal: boolean) {
  const update = await createAndStart(rec.as('create+start'), model.stack, { kind, journal })
  await rec.call('export', 'GET', `${stackPath(model.stack)}/export`)
  await rec.call('get-stack', 'GET', stackPath(model.stack))
  return update
}

async function finish(
  rec: Recorder,
  update: RunningUpdate,
  events: EventSink,
  changes: Record<string, number>,
) {
  await events.push({
    summaryEvent: {
      maybeCorrupt: false,
      durationSeconds: 1,
      resourceChanges: changes,
      PolicyPacks: {},
      isPreview: false,
      result: 'succeeded',
    },
  })
  await events.close()
  await complete(rec.as('complete'), update)
}

export async function createStack(rec: Recorder, stack: StackId) {
  await rec.call('create-stack', 'POST', `/api/stacks/${stack.org}/${stack.project}`, {
    body: { stackName: stack.stack, tags: { 'pulumi:project': stack.project, 'pulumi:runtime': 'nodejs' } },
  })
}

/** One create step as the CLI journals it: Begin + Success in one batch, with its pre and outputs events. */
async function createStep(j: Journal, cli: CliClient, update: RunningUpdate, events: EventSink, r: Resource) {
  const op = ++j.op
  await events.push(stepEvent('resourcePreEvent', 'create', r, false))
  const { outputs: _outputs, ...begin } = r
  await sendJournal(cli, update, [
    j.entry({ kind: 0, operationID: op, operation: { resource: begin, type: 'creating' } }),
    j.entry({ kind: 1, operationID: op, state: r }),
  ])
  await events.push(stepEvent('resOutputsEvent', 'create', r, true))
}

/** Journaled create: one batch per step (Begin+Success), events in batches of 50 alongside. */
export async function journaledCreate(rec: Recorder, model: StackModel) {
  const update = await beginUpdate(rec, model, 'update', true)
  if (update.journalVersion !== 1) throw new Error('server did not accept journaling')
  const j = new Journal()
  const cli = rec.as('journal')
  const events = new EventSink(rec.as('events'), update)
  await events.push({ preludeEvent: { config: {} } })
  const sm = j.entry({ kind: 6, operationID: 0, secretsProvider: secretsProvider(model.stack) })
  const rootOp = ++j.op
  await sendJournal(cli, update, [
    sm,
    j.entry({ kind: 0, operationID: rootOp, operation: { resource: model.root, type: 'creating' } }),
    j.entry({ kind: 1, operationID: rootOp, state: model.root }),
  ])
  for (const r of model.resources) await createStep(j, cli, update, events, r)
  await sendJournal(cli, update, [
    j.entry({ kind: 4, operationID: ++j.op, removeNew: rootOp, state: { ...model.root, outputs: {} } }),
  ])
  await finish(rec, update, events, { create: model.resources.length + 1 })
}

/** The gzipped bodies of a journaled create (what journaledCreate sends), for replay without encoding work. */
interface PreparedCreate {
  journal: Buffer[]
  /** After which journal batch each event batch goes out. */
  events: { after: number; body: Buffer }[]
}

function prepareCreate(model: StackModel): PreparedCreate {
  const gz = (value: unknown) => gzipSync(Buffer.from(goJsonMarshal(value)))
  const j = new Journal()
  const journal: Buffer[] = []
  const events: { after: number; body: Buffer }[] = []
  let pending: unknown[] = []
  let sequence = 0
  const event = (payload: Record<string, unknown>) => {
    pending.push({ sequence: sequence++, timestamp: 0, ...payload })
    if (pending.length >= 50) {
      events.push({ after: journal.length, body: gz({ events: pending }) })
      pending = []
    }
  }
  event({ preludeEvent: { config: {} } })
  const rootOp = ++j.op
  journal.push(
    gz({
      entries: [
        j.entry({ kind: 6, operationID: 0, secretsProvider: secretsProvider(model.stack) }),
        j.entry({ kind: 0, operationID: rootOp, operation: { resource: model.root, type: 'creating' } }),
        j.entry({ kind: 1, operationID: rootOp, state: model.root }),
      ],
    }),
  )
  for (const r of model.resources) {
    const op = ++j.op
    event(stepEvent('resourcePreEvent', 'create', r, false))
    const { outputs: _outputs, ...begin } = r
    journal.push(
      gz({
        entries: [
          j.entry({ kind: 0, operationID: op, operation: { resource: begin, type: 'creating' } }),
          j.entry({ kind: 1, operationID: op, state: r }),
        ],
      }),
    )
    event(stepEvent('resOutputsEvent', 'create', r, true))
  }
  journal.push(
    gz({
      entries: [
        j.entry({ kind: 4, operationID: ++j.op, removeNew: rootOp, state: { ...model.root, outputs: {} } }),
      ],
    }),
  )
  event({ summaryEvent: { resourceChanges: { create: model.resources.length + 1 }, result: 'succeeded' } })
  if (pending.length > 0) events.push({ after: journal.length, body: gz({ events: pending }) })
  return { journal, events }
}

/** Replays a prepared create with the CLI's request sequence, events ≤ 3 in flight beside the journal batches. */
async function sendPreparedCreate(rec: Recorder, model: StackModel, prepared: PreparedCreate) {
  const update = await beginUpdate(rec, model, 'update', true)
  const send = (kind: string, method: string, route: string, body: Buffer) =>
    rec.call(kind, method, `${update.path}/${route}`, {
      auth: { kind: 'update-token', token: update.token },
      rawBody: body,
      headers: { 'Content-Encoding': 'gzip' },
    })
  const inflight: Promise<unknown>[] = []
  let nextEvents = 0
  const releaseEvents = async (upTo: number) => {
    for (
      ;
      nextEvents < prepared.events.length && (prepared.events[nextEvents]?.after ?? 0) <= upTo;
      nextEvents++
    ) {
      if (inflight.length >= 3) await inflight.shift()
      inflight.push(send('events', 'POST', 'events/batch', prepared.events[nextEvents]!.body))
    }
  }
  for (const [i, body] of prepared.journal.entries()) {
    await releaseEvents(i)
    await send('journal', 'PATCH', 'journalentries', body)
  }
  await releaseEvents(Number.POSITIVE_INFINITY)
  await Promise.all(inflight)
  await complete(rec.as('complete'), update)
}

/** Journaled no-op: same-steps are elided and batched up to 100 entries. */
export function journaledNoop(rec: Recorder, model: StackModel) {
  return journaledAdd(rec, model, [])
}

/**
 * Journaled update adding `added` resources after the existing ones: same-steps elided and batched up to 100
 * entries (as in the no-op), then one batch per create step. The new resources join `model.resources`.
 */
export async function journaledAdd(rec: Recorder, model: StackModel, added: Resource[]) {
  const update = await beginUpdate(rec, model, 'update', true)
  const j = new Journal()
  const cli = rec.as('journal')
  const events = new EventSink(rec.as('events'), update)
  await events.push({ preludeEvent: { config: {} } })
  let batch: unknown[] = [j.entry({ kind: 6, operationID: 0, secretsProvider: secretsProvider(model.stack) })]
  const all = [model.root, ...model.resources]
  for (let i = 0; i < all.length; i++) {
    const r = all[i] as Resource
    const op = ++j.op
    batch.push(j.entry({ kind: 0, operationID: op }))
    batch.push(j.entry({ kind: 1, operationID: op, removeOld: i, state: r }))
    await events.push(stepEvent('resourcePreEvent', 'same', r, false))
    await events.push(stepEvent('resOutputsEvent', 'same', r, false))
    if (batch.length >= 100) {
      await sendJournal(cli, update, batch)
      batch = []
    }
  }
  if (batch.length > 0) await sendJournal(cli, update, batch)
  for (const r of added) await createStep(j, cli, update, events, r)
  model.resources.push(...added)
  await finish(
    rec,
    update,
    events,
    added.length > 0 ? { same: all.length, create: added.length } : { same: all.length },
  )
}

/** Journaled destroy: deletes in reverse order, one batch per step. */
export async function journaledDestroy(rec: Recorder, model: StackModel) {
  const update = await beginUpdate(rec, model, 'destroy', true)
  const j = new Journal()
  const cli = rec.as('journal')
  const events = new EventSink(rec.as('events'), update)
  await events.push({ preludeEvent: { config: {} } })
  const all = [model.root, ...model.resources]
  let pending: unknown[] = [
    j.entry({ kind: 6, operationID: 0, secretsProvider: secretsProvider(model.stack) }),
  ]
  for (let i = all.length - 1; i >= 0; i--) {
    const r = all[i] as Resource
    const op = ++j.op
    await events.push(stepEvent('resourcePreEvent', 'delete', r, false))
    await sendJournal(cli, update, [
      ...pending,
      j.entry({ kind: 0, operationID: op, operation: { resource: r, type: 'deleting' } }),
      j.entry({ kind: 1, operationID: op, removeOld: i }),
    ])
    pending = []
    await events.push(stepEvent('resOutputsEvent', 'delete', r, false))
  }
  await finish(rec, update, events, { delete: all.length })
}

// ---- checkpoint modes (§6) ----

const MANIFEST = { time: '2026-01-01T00:00:00Z', magic: '', version: 'v3.200.0' }

/** Canonical text pieces (§6.2): head up to `"resources":[`, one JSON text per resource, tail. */
function canonicalHead() {
  return `{"version":3,"deployment":{"manifest":${JSON.stringify(MANIFEST)},"metadata":{},"resources":[`
}
const TAIL = ']}}'

const span = (start: number, end: number) => ({
  uri: '',
  start: { line: 1, column: 1, offset: start },
  end: { line: 1, column: 1, offset: end },
})

export interface CheckpointResult {
  saves: number
  hashMs: number
}

/**
 * Create in delta-checkpoint mode: the first save (root created) is verbatim, each later step a delta that
 * replaces the previous last resource's span with `prev,new` (what lcs.DiffLines yields when appending).
 */
export async function deltaCreate(rec: Recorder, model: StackModel): Promise<CheckpointResult> {
  const update = await beginUpdate(rec, model, 'update', true)
  if (update.journalVersion !== 0) throw new Error('server journals; start it with -journaling=false')
  const events = new EventSink(rec.as('events'), update)
  await events.push({ preludeEvent: { config: {} } })
  const head = canonicalHead()
  const texts: string[] = [JSON.stringify(model.root)]
  let sequenceNumber = 1
  await rec.call('verbatim', 'PATCH', `${update.path}/checkpointverbatim`, {
    auth: { kind: 'update-token', token: update.token },
    gzip: true,
    rawBody: Buffer.from(
      `{"version":3,"untypedDeployment":${head}${texts.join(',')}${TAIL},"sequenceNumber":1}`,
    ),
  })
  // Byte length of the text up to (excluding) the last resource.
  let prefixBytes = Buffer.byteLength(head)
  let hashMs = 0
  for (const r of model.resources) {
    await events.push(stepEvent('resourcePreEvent', 'create', r, false))
    const prev = texts[texts.length - 1] as string
    const rText = JSON.stringify(r)
    const start = prefixBytes
    const end = start + Buffer.byteLength(prev)
    texts.push(rText)
    prefixBytes = end + 1
    const t0 = performance.now()
    const full = `${head}${texts.join(',')}${TAIL}`
    const checkpointHash = createHash('sha256').update(full).digest('hex')
    hashMs += performance.now() - t0
    await rec.call('delta', 'PATCH', `${update.path}/checkpointdelta`, {
      auth: { kind: 'update-token', token: update.token },
      gzip: true,
      body: {
        version: 3,
        checkpointHash,
        sequenceNumber: ++sequenceNumber,
        deploymentDelta: [{ Span: span(start, end), NewText: `${prev},${rText}` }],
      },
    })
    await events.push(stepEvent('resOutputsEvent', 'create', r, true))
  }
  await finish(rec, update, events, { create: model.resources.length + 1 })
  return { saves: sequenceNumber, hashMs }
}

/** Create in full-checkpoint mode: the whole deployment on every step (L4). */
export async function fullCheckpointCreate(rec: Recorder, model: StackModel): Promise<CheckpointResult> {
  const update = await beginUpdate(rec, model, 'update', true)
  const events = new EventSink(rec.as('events'), update)
  const resources: Resource[] = [model.root]
  const save = () =>
    rec.call('checkpoint', 'PATCH', `${update.path}/checkpoint`, {
      auth: { kind: 'update-token', token: update.token },
      gzip: true,
      body: {
        version: 3,
        deployment: { manifest: MANIFEST, secrets_providers: secretsProvider(model.stack), resources },
      },
    })
  await save()
  for (const r of model.resources) {
    await events.push(stepEvent('resourcePreEvent', 'create', r, false))
    resources.push(r)
    await save()
    await events.push(stepEvent('resOutputsEvent', 'create', r, true))
  }
  await finish(rec, update, events, { create: model.resources.length + 1 })
  return { saves: resources.length, hashMs: 0 }
}

// ---- DIY baseline ----

export interface DiyResult {
  totalMs: number
  bytesWritten: number
  writes: number
  perSaveP50: number
}

/**
 * The DIY file backend per save: serialize the whole checkpoint (indented), rewrite the file and its `.bak`.
 * `saves` lists, per save, how many resources of `[root, ...resources]` the checkpoint holds at that moment.
 */
export function diyRun(model: StackModel, resources: Resource[], saves: number[]): DiyResult {
  const dir = mkdtempSync(join(tmpdir(), 'pulumi-diy-bench-'))
  const file = join(dir, `${model.stack.stack}.json`)
  const all = [model.root, ...resources]
  let bytesWritten = 0
  let writes = 0
  const times: number[] = []
  const start = performance.now()
  for (const count of saves) {
    const t0 = performance.now()
    const checkpoint = {
      version: 3,
      checkpoint: {
        stack: `${model.stack.org}/${model.stack.project}/${model.stack.stack}`,
        latest: {
          manifest: MANIFEST,
          secrets_providers: secretsProvider(model.stack),
          resources: all.slice(0, count),
        },
      },
    }
    const text = Buffer.from(JSON.stringify(checkpoint, null, 4))
    writeFileSync(file, text)
    writeFileSync(`${file}.bak`, text)
    bytesWritten += 2 * text.length
    writes += 2
    times.push(performance.now() - t0)
  }
  const totalMs = performance.now() - start
  rmSync(dir, { recursive: true, force: true })
  return { totalMs: Math.round(totalMs), bytesWritten, writes, perSaveP50: summarize(times).p50 }
}

/** Save counts per phase: create (one save per step), no-op (the final save), add (per step), destroy. */
export const diySaves = {
  create: (n: number) => Array.from({ length: n + 1 }, (_, i) => i + 1),
  noop: (n: number) => [n + 1],
  add: (n: number, added: number) => Array.from({ length: added }, (_, i) => n + 2 + i),
  destroy: (n: number) => Array.from({ length: n + 1 }, (_, i) => n - i),
}

/** The DIY create (kept for callers of the first harness). */
export function diyCreate(model: StackModel): DiyResult {
  return diyRun(model, model.resources, diySaves.create(model.resources.length))
}

// ---- concurrency ----

export interface ConcurrencyResult {
  stacks: number
  resourcesPerStack: number
  requests: number
  errors: number
  wallMs: number
  requestsPerSecond: number
  p50: number
  p99: number
  /** Server-side handling time (Server-Timing) over all requests. */
  serverP50: number
  serverP99: number
  /** Journal batches (PATCH journalentries) alone: client-observed and server-side p50/p99. */
  journalP50: number
  journalP99: number
  journalServerP50: number
  journalServerP99: number
  peakRssBytes: number
}

export async function concurrentCreates(
  makeRecorder: () => Recorder,
  stacks: number,
  resourcesPerStack: number,
  rss: () => number,
  tag: string,
): Promise<ConcurrencyResult> {
  const rec = makeRecorder()
  const models = Array.from({ length: stacks }, (_, i) =>
    makeStack({ org: 'acme', project: 'conc', stack: `${tag}-s${i}` }, resourcesPerStack, 1024),
  )
  for (const m of models) await createStack(rec, m.stack)
  // Bodies are built and gzipped before the clock starts: the load generator shares the 2 cores with the server,
  // and encoding on the fly would measure the client instead of the server.
  const prepared = models.map((m) => prepareCreate(m))
  const setupRequests = rec.requests
  rec.samples.clear()
  rec.serverSamples.clear()
  let peak = rss()
  const timer = setInterval(() => {
    peak = Math.max(peak, rss())
  }, 100)
  const start = performance.now()
  const results = await Promise.allSettled(models.map((m, i) => sendPreparedCreate(rec, m, prepared[i]!)))
  const wallMs = performance.now() - start
  clearInterval(timer)
  peak = Math.max(peak, rss())
  const failed = results.filter((r) => r.status === 'rejected')
  const s = summarize(rec.allSamples())
  const server = summarize([...rec.serverSamples.values()].flat())
  const journal = summarize(rec.samples.get('journal') ?? [])
  const journalServer = summarize(rec.serverSamples.get('journal') ?? [])
  const requests = rec.requests - setupRequests
  return {
    stacks,
    resourcesPerStack,
    requests,
    errors: rec.errors + (failed.length > 0 && rec.errors === 0 ? failed.length : 0),
    wallMs,
    requestsPerSecond: Math.round((requests / wallMs) * 1000),
    p50: s.p50,
    p99: s.p99,
    serverP50: server.p50,
    serverP99: server.p99,
    journalP50: journal.p50,
    journalP99: journal.p99,
    journalServerP50: journalServer.p50,
    journalServerP99: journalServer.p99,
    peakRssBytes: peak,
  }
}
