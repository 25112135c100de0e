// `npm run bench [-- --quick] [--workload=<name>] [--sizes=10,200]`: figures, never a failure on time.
// Workloads: journal (create/no-op/add-2/destroy + cold/warm + DIY per phase), checkpoint (delta + full),
// export (fixture states 150 KB–50 MB), concurrency (N stacks at once), memory (1,000 stacks × 150 stored).
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { CliApiError } from '../test/support/cli-client.js'
import { type StackId, stackPath } from '../test/support/update-driver.js'
import { closeRawAgent, decodeCost, type RawGet, rawGet, scaledState } from './exports.js'
import { type BenchServer, startServer } from './server.js'
import { type KindStats, Recorder } from './stats.js'
import {
  type ConcurrencyResult,
  concurrentCreates,
  createStack,
  type DiyResult,
  deltaCreate,
  diyRun,
  diySaves,
  fullCheckpointCreate,
  journaledAdd,
  journaledCreate,
  journaledDestroy,
  journaledNoop,
  makeResource,
  makeStack,
} from './workloads.js'

const WORKLOADS = ['journal', 'checkpoint', 'export', 'concurrency', 'memory'] as const
type Workload = (typeof WORKLOADS)[number]

interface Options {
  quick: boolean
  workloads: Workload[]
  sizes: number[]
}

export function parseArgs(argv: string[]): Options {
  const quick = argv.includes('--quick')
  let workloads: Workload[] = [...WORKLOADS]
  let sizes = quick ? [10, 200] : [10, 200, 600, 3000]
  for (const arg of argv) {
    if (arg.startsWith('--workload=')) {
      const names = arg.slice('--workload='.length).split(',')
      for (const n of names) if (!WORKLOADS.includes(n as Workload)) throw new Error(`unknown workload ${n}`)
      workloads = names as Workload[]
    } else if (arg.startsWith('--sizes=')) {
      sizes = arg
        .slice('--sizes='.length)
        .split(',')
        .map((s) => Number.parseInt(s, 10))
      if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`bad --sizes ${arg}`)
    } else if (arg !== '--quick' && arg !== '--') throw new Error(`unknown option ${arg}`)
  }
  return { quick, workloads, sizes }
}

/** Largest size that gets the DIY baseline (it is quadratic: 3,000 × 16 KB would write ~290 GB). */
const DIY_MAX = 600
/** Largest size run in the checkpoint modes (the client SHA-256s the whole text per delta). */
const CHECKPOINT_MAX = 600

interface PhaseResult {
  totalMs: number
  requests: number
  bytesSent: number
  /** Growth of the DB file + WAL + SHM (the WAL may be checkpointed and reused, so this can be 0). */
  bytesStored: number
  /** Bytes the server process wrote to storage (/proc/<pid>/io write_bytes). */
  bytesWritten: number
  /** Peak server VmRSS during the phase (sampled every 50 ms). */
  peakRssBytes: number
  latency: Record<string, KindStats>
  /** Server-side handling time per request kind (Server-Timing). */
  serverLatency: Record<string, KindStats>
  /** Sum of the server's handling time over every request of the phase. */
  serverTotalMs: number
}

async function phase(server: BenchServer, fn: (rec: Recorder) => Promise<unknown>): Promise<PhaseResult> {
  const rec = new Recorder(server.client)
  const before = server.storedBytes()
  const writtenBefore = server.ioWriteBytes()
  let peak = server.rssBytes()
  const timer = setInterval(() => {
    peak = Math.max(peak, server.rssBytes())
  }, 50)
  const start = performance.now()
  try {
    await fn(rec)
  } finally {
    clearInterval(timer)
  }
  const totalMs = performance.now() - start
  peak = Math.max(peak, server.rssBytes())
  if (rec.errors > 0) throw new Error(`${rec.errors} request errors`)
  return {
    totalMs: Math.round(totalMs),
    requests: rec.requests,
    bytesSent: rec.bytesSent,
    bytesStored: Math.max(0, server.storedBytes() - before),
    bytesWritten: server.ioWriteBytes() - writtenBefore,
    peakRssBytes: peak,
    latency: rec.stats(),
    serverLatency: rec.serverStats(),
    serverTotalMs: Math.round(Object.values(rec.serverStats()).reduce((sum, k) => sum + k.totalMs, 0)),
  }
}

interface ExportTiming {
  /** Request → last byte received, ms (no gunzip, no JSON.parse). */
  ms: number
  serverMs: number | undefined
  wireBytes: number
  encoding: string
  /** Client-side, after the last byte: gunzip and JSON.parse of the body (reported apart). */
  gunzipMs: number
  parseMs: number
}

async function timedExport(server: BenchServer, stack: StackId, gzip = true): Promise<ExportTiming> {
  const r: RawGet = await rawGet(server.url, server.token, `${stackPath(stack)}/export`, gzip)
  const { body: _body, ...rest } = r
  return { ...rest, ...decodeCost(r) }
}

interface PhaseVsDiy {
  diy: DiyResult
  /** Ours (client-observed wall) / DIY. */
  timeRatio: number
  /** DIY bytes written / ours (server write_bytes). */
  bytesRatio: number
}

interface JournalSizeResult {
  size: number
  stateBytes: number
  create: PhaseResult
  exportCold: ExportTiming
  exportWarm: ExportTiming
  noopCold: PhaseResult
  noopWarm: PhaseResult
  noopColdWarmRatio: number
  add2: PhaseResult
  destroy: PhaseResult
  /** Per phase; absent above DIY_MAX resources. */
  diy?: { create: PhaseVsDiy; noop: PhaseVsDiy; add2: PhaseVsDiy; destroy: PhaseVsDiy }
}

function vsDiy(ours: PhaseResult, diy: DiyResult): PhaseVsDiy {
  return {
    diy,
    timeRatio: round2(ours.totalMs / Math.max(1, diy.totalMs)),
    bytesRatio: round2(diy.bytesWritten / Math.max(1, ours.bytesWritten)),
  }
}

async function journalWorkload(size: number): Promise<JournalSizeResult> {
  const server = await startServer()
  try {
    const model = makeStack({ org: 'acme', project: 'bench', stack: `j${size}` }, size)
    const stateBytes = Buffer.byteLength(JSON.stringify(model.resources))
    await createStack(new Recorder(server.client), model.stack)
    await rawGet(server.url, server.token, '/api/capabilities', true) // open the kept-alive connection
    const create = await phase(server, (rec) => journaledCreate(rec, model))
    const exportCold = await timedExport(server, model.stack)
    const exportWarm = await timedExport(server, model.stack)
    const noopCold = await phase(server, (rec) => journaledNoop(rec, model))
    const noopWarm = await phase(server, (rec) => journaledNoop(rec, model))
    const initial = [...model.resources]
    const added = [makeResource(model.stack, size), makeResource(model.stack, size + 1)]
    const add2 = await phase(server, (rec) => journaledAdd(rec, model, added))
    const destroy = await phase(server, (rec) => journaledDestroy(rec, model))
    const result: JournalSizeResult = {
      size,
      stateBytes,
      create,
      exportCold,
      exportWarm,
      noopCold,
      noopWarm,
      noopColdWarmRatio: round2(noopCold.totalMs / Math.max(1, noopWarm.totalMs)),
      add2,
      destroy,
    }
    if (size <= DIY_MAX) {
      result.diy = {
        create: vsDiy(create, diyRun(model, initial, diySaves.create(size))),
        noop: vsDiy(noopWarm, diyRun(model, initial, diySaves.noop(size))),
        add2: vsDiy(add2, diyRun(model, model.resources, diySaves.add(size, 2))),
        destroy: vsDiy(destroy, diyRun(model, model.resources, diySaves.destroy(size + 2))),
      }
    }
    return result
  } catch (error) {
    console.error(server.logs())
    throw error
  } finally {
    await server.stop()
  }
}

interface CheckpointSizeResult {
  size: number
  delta: PhaseResult & { finalTextBytes: number; clientHashMs: number }
  full?: PhaseResult & { size: number }
}

async function checkpointWorkload(size: number, fullLimit: number): Promise<CheckpointSizeResult> {
  const server = await startServer(['-journaling=false'])
  try {
    const model = makeStack({ org: 'acme', project: 'bench', stack: `d${size}` }, size)
    await createStack(new Recorder(server.client), model.stack)
    let clientHashMs = 0
    const delta = await phase(server, async (rec) => {
      clientHashMs = (await deltaCreate(rec, model)).hashMs
    })
    const finalTextBytes = Buffer.byteLength(JSON.stringify(model.resources))
    const result: CheckpointSizeResult = {
      size,
      delta: { ...delta, finalTextBytes, clientHashMs: Math.round(clientHashMs) },
    }
    const fullSize = Math.min(size, fullLimit)
    const fullModel = makeStack({ org: 'acme', project: 'bench', stack: `f${fullSize}` }, fullSize)
    await createStack(new Recorder(server.client), fullModel.stack)
    const full = await phase(server, (rec) => fullCheckpointCreate(rec, fullModel))
    result.full = { ...full, size: fullSize }
    return result
  } catch (error) {
    console.error(server.logs())
    throw error
  } finally {
    await server.stop()
  }
}

async function concurrencyWorkload(levels: number[], resources: number): Promise<ConcurrencyResult[]> {
  const out: ConcurrencyResult[] = []
  for (const stacks of levels) {
    const server = await startServer()
    try {
      out.push(
        await concurrentCreates(
          () => new Recorder(server.client, false),
          stacks,
          resources,
          server.rssBytes,
          `c${stacks}`,
        ),
      )
    } finally {
      await server.stop()
    }
  }
  return out
}

const round2 = (n: number) => Math.round(n * 100) / 100
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`
const lat = (s: KindStats | undefined) => (s ? `${s.p50}/${s.p95}/${s.p99}` : '-')

function printJournal(r: JournalSizeResult) {
  console.log(`\n== journaled, ${r.size} × 16 KB (state ${mb(r.stateBytes)}) ==`)
  const rows = [
    [
      'phase',
      'total ms',
      'server ms',
      'requests',
      'sent (gzip)',
      'stored',
      'journal p50/p95/p99 ms',
      'journal server p50/p95/p99',
      'events p50/p95/p99 ms',
      'events server p50/p95/p99',
    ],
    ...(
      [
        ['create', r.create],
        ['no-op (cold)', r.noopCold],
        ['no-op (warm)', r.noopWarm],
        ['destroy', r.destroy],
      ] as const
    ).map(([name, p]) => [
      name,
      String(p.totalMs),
      String(p.serverTotalMs),
      String(p.requests),
      mb(p.bytesSent),
      mb(p.bytesStored),
      lat(p.latency.journal),
      lat(p.serverLatency.journal),
      lat(p.latency.events),
      lat(p.serverLatency.events),
    ]),
  ]
  table(rows)
  console.log(
    `export cold ${r.exportCold.ms} ms (server ${r.exportCold.serverMs ?? '-'} ms, ${mb(r.exportCold.wireBytes)} on wire), ` +
      `warm ${r.exportWarm.ms} ms; ` +
      `no-op cold/warm ratio ${r.noopColdWarmRatio}; in-update export p50 ${r.create.latency.export?.p50 ?? '-'} ms`,
  )
  console.log(
    `DIY baseline: ${Math.round(r.diy.totalMs)} ms, ${mb(r.diy.bytesWritten)} written in ${r.diy.writes} writes; ` +
      `ours/DIY time ${r.ratioTimeOursOverDiy}×, DIY/ours bytes ${r.ratioBytesDiyOverOurs}×`,
  )
}

function table(rows: string[][]) {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? []
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '))
}

interface Target {
  name: string
  value: string
  met: boolean | null
}

function targets(
  journal: JournalSizeResult[],
  checkpoints: CheckpointSizeResult[],
  conc: ConcurrencyResult[],
) {
  const out: Target[] = []
  const j600 = journal.find((r) => r.size === 600)
  const note = j600 ? '' : ' (600 not run)'
  const j = j600 ?? journal[journal.length - 1]
  if (j) {
    // The target is the server's cost per batch: its own Server-Timing, not the client's round trip.
    const p99 = j.create.serverLatency.journal?.p99 ?? 0
    out.push({ name: `journal batch server p99 ≤ 5 ms @${j.size}${note}`, value: `${p99} ms`, met: p99 <= 5 })
    out.push({
      name: `create server total ≤ 2 s @${j.size}${note}`,
      value: `${j.create.serverTotalMs} ms (wall ${j.create.totalMs} ms incl. the load generator)`,
      met: j.create.serverTotalMs <= 2000,
    })
    out.push({
      name: `≥ 50× fewer bytes than DIY @${j.size}${note}`,
      value: `${j.ratioBytesDiyOverOurs}×`,
      met: j.ratioBytesDiyOverOurs >= 50,
    })
    out.push({
      name: `first export ≤ 100 ms @${j.size}${note}`,
      value: `${j.exportCold.ms} ms`,
      met: j.exportCold.ms <= 100,
    })
    out.push({
      name: `cold/warm no-op ≤ 1.2 @${j.size}${note}`,
      value: String(j.noopColdWarmRatio),
      met: j.noopColdWarmRatio <= 1.2,
    })
  }
  const d = checkpoints[checkpoints.length - 1]
  if (d) {
    const p50 = d.delta.latency.delta?.p50 ?? 0
    out.push({
      name: `delta p50 ≤ 30 ms (at ${mb(d.delta.finalTextBytes)}, not 9.6 MB unless 600)`,
      value: `${p50} ms`,
      met: p50 <= 30,
    })
  }
  const c50 = conc.find((c) => c.stacks === 50)
  if (c50) {
    out.push({
      name: '50 stacks ≥ 1,500 req/s',
      value: String(c50.requestsPerSecond),
      met: c50.requestsPerSecond >= 1500,
    })
    out.push({ name: '50 stacks p99 ≤ 50 ms', value: `${c50.p99} ms`, met: c50.p99 <= 50 })
    out.push({ name: '50 stacks 0 errors', value: String(c50.errors), met: c50.errors === 0 })
  }
  out.push({ name: 'RSS 1,000 stacks × 150 resources ≤ 300 MB', value: 'not measured', met: null })
  return out
}

async function main() {
  const options = parseArgs(process.argv.slice(2))
  const started = performance.now()
  console.log(
    `pulumi-backend bench: ${cpus().length} cores, node ${process.version}, ` +
      `${options.quick ? 'quick' : 'full'}, sizes ${options.sizes.join(',')}, workloads ${options.workloads.join(',')}`,
  )
  const journal: JournalSizeResult[] = []
  const checkpoints: CheckpointSizeResult[] = []
  let concurrency: ConcurrencyResult[] = []
  if (options.workloads.includes('journal')) {
    for (const size of options.sizes) {
      const r = await journalWorkload(size)
      journal.push(r)
      printJournal(r)
    }
  }
  if (options.workloads.includes('checkpoint')) {
    console.log('\n== checkpoint modes (server -journaling=false) ==')
    const rows = [
      ['size', 'mode', 'total ms', 'requests', 'sent (gzip)', 'stored', 'p50/p95/p99 ms per save'],
    ]
    // --quick: the checkpoint modes only at the smallest size (CI smoke); full runs cap full checkpoints at 200.
    const sizes = options.quick ? options.sizes.slice(0, 1) : options.sizes
    for (const size of sizes) {
      const r = await checkpointWorkload(size, options.quick ? 10 : 200)
      checkpoints.push(r)
      rows.push([
        String(size),
        'delta',
        String(r.delta.totalMs),
        String(r.delta.requests),
        mb(r.delta.bytesSent),
        mb(r.delta.bytesStored),
        lat(r.delta.latency.delta),
      ])
      if (r.full)
        rows.push([
          String(r.full.size),
          'full',
          String(r.full.totalMs),
          String(r.full.requests),
          mb(r.full.bytesSent),
          mb(r.full.bytesStored),
          lat(r.full.latency.checkpoint),
        ])
    }
    table(rows)
  }
  if (options.workloads.includes('concurrency')) {
    console.log(
      `\n== concurrency: N stacks × journaled create of ${options.quick ? 40 : 100} × 1 KB resources at once ==`,
    )
    concurrency = await concurrencyWorkload(options.quick ? [10] : [10, 50], options.quick ? 40 : 100)
    table([
      ['stacks', 'requests', 'wall ms', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'peak RSS'],
      ...concurrency.map((c) => [
        String(c.stacks),
        String(c.requests),
        String(Math.round(c.wallMs)),
        String(c.requestsPerSecond),
        String(c.p50),
        String(c.p99),
        String(c.errors),
        mb(c.peakRssBytes),
      ]),
    ])
  }
  const t = targets(journal, checkpoints, concurrency)
  console.log('\n== targets (issue #4) ==')
  table([
    ['target', 'measured', 'met'],
    ...t.map((x) => [x.name, x.value, x.met === null ? 'n/a' : x.met ? 'yes' : 'NO']),
  ])
  const totalMs = Math.round(performance.now() - started)
  console.log(`\nfinished in ${(totalMs / 1000).toFixed(1)} s`)
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true })
  writeFileSync(
    new URL('./results/latest.json', import.meta.url),
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? '', node: process.version },
        options,
        totalMs,
        journal,
        checkpoints,
        concurrency,
        targets: t,
      },
      null,
      2,
    )}\n`,
  )
  const errors = concurrency.reduce((a, c) => a + c.errors, 0)
  if (errors > 0) {
    console.error(`${errors} request errors`)
    process.exitCode = 1
  }
}

main().catch((error: unknown) => {
  if (error instanceof CliApiError) console.error(`request failed: ${error.status} ${error.message}`)
  else console.error(error)
  process.exitCode = 1
})
