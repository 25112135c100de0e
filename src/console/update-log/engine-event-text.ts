/**
 * An update's stored engine events as the lines the CLI prints for them in its diff display (`pulumi up --diff`
 * with same resources shown: pkg/backend/display/diff.go :: ShowDiffEvents, RenderDiffEvent), property bodies
 * included (object_diff.go). Each line carries the colour of its operation; diagnostics (which the CLI writes to
 * stderr) are marked so.
 */
import { TextSink } from './property-printer.js'
import {
  type Step,
  type StepMetadata,
  stepOf,
  writeDetails,
  writeOutputs,
  writeSummary,
} from './step-text.js'

export interface LogLine {
  text: string
  tone: 'plain' | 'create' | 'update' | 'delete' | 'replace' | 'info' | 'warning' | 'error' | 'heading'
  /** A diagnostic: the CLI prints it on stderr. */
  stderr?: true
}

interface EngineEvent {
  preludeEvent?: { config?: Record<string, string> }
  resourcePreEvent?: { metadata?: StepMetadata; planning?: boolean }
  resOutputsEvent?: { metadata?: StepMetadata; planning?: boolean }
  resOpFailedEvent?: { metadata?: StepMetadata }
  diagnosticEvent?: { message?: string; prefix?: string; severity?: string; urn?: string }
  summaryEvent?: { durationSeconds?: number; resourceChanges?: Record<string, number>; isPreview?: boolean }
  stdoutEvent?: { message?: string }
}

// Line colours of the step ops (deploy.Color) and of the display's own parts.
const TONES: Record<string, LogLine['tone']> = {
  same: 'plain',
  create: 'create',
  import: 'create',
  update: 'update',
  refresh: 'update',
  delete: 'delete',
  'read-discard': 'delete',
  'discard-replaced': 'delete',
  replace: 'replace',
  'create-replacement': 'replace',
  'delete-replaced': 'replace',
  'read-replacement': 'replace',
  'import-replacement': 'replace',
  read: 'info',
  heading: 'heading',
  info: 'info',
  warning: 'warning',
  error: 'error',
}

// deploy.StepOps order, with deploy.PastTense; sames and reads are not changes.
const SUMMARY: readonly [string, string, string][] = [
  ['create', '+ ', 'created'],
  ['update', '~ ', 'updated'],
  ['delete', '- ', 'deleted'],
  ['replace', '+-', 'replaced'],
  ['create-replacement', '++', 'create-replacementd'],
  ['delete-replaced', '--', 'deleted'],
  ['refresh', '~ ', 'refreshed'],
  ['discard-replaced', '<<', 'discarded'],
  ['remove-pending-replace', '~ ', 'remove-pending-replaced'],
  ['import', '= ', 'imported'],
  ['import-replacement', '=>', 'imported'],
]

export function renderEngineEvents(eventTexts: readonly string[]): LogLine[] {
  const lines: LogLine[] = []
  // diff.go keeps every step seen so far: a step is indented under its displayed parents (getIndent).
  const seen = new Map<string, Step>()
  let errored = 0
  for (const text of eventTexts) {
    let event: EngineEvent
    try {
      event = JSON.parse(text) as EngineEvent
    } catch {
      continue
    }
    const out = new TextSink()
    if (event.preludeEvent) {
      out.write('Configuration:\n')
      for (const key of Object.keys(event.preludeEvent.config ?? {}).sort()) {
        out.write(`    ${key}: ${event.preludeEvent.config?.[key]}\n`)
      }
    } else if (event.resourcePreEvent?.metadata) {
      const step = stepOf(event.resourcePreEvent.metadata, event.resourcePreEvent.planning)
      seen.set(step.urn, step)
      if (step.op !== 'refresh' && step.op !== 'import') {
        const indent = indentOf(step, seen)
        writeSummary(out, step, indent)
        writeDetails(out, step, indent)
      }
    } else if (event.resOutputsEvent?.metadata) {
      const step = stepOf(event.resOutputsEvent.metadata, event.resOutputsEvent.planning)
      writeOutputs(out, step, indentOf(step, seen))
    } else if (event.resOpFailedEvent) {
      errored++
    } else if (event.diagnosticEvent?.message && event.diagnosticEvent.severity !== 'debug') {
      const d = event.diagnosticEvent
      out.color(d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'info')
      out.write(stripColor(`${d.prefix ?? ''}${d.message}`))
      lines.push(...toLines(out).map((l) => ({ ...l, stderr: true as const })))
      continue
    } else if (event.stdoutEvent?.message) {
      out.write(stripColor(event.stdoutEvent.message))
    } else if (event.summaryEvent) {
      writeSummaryEvent(out, event.summaryEvent, errored)
    }
    lines.push(...toLines(out))
  }
  return lines
}

/** object_diff.go :: getIndent: one level per displayed ancestor (a destroy shows children before parents). */
function indentOf(step: Step, seen: Map<string, Step>): number {
  let indent = 0
  let parent = (step.new ?? step.old)?.parent
  while (parent) {
    const shown = seen.get(parent)
    if (!shown) break
    indent++
    parent = (shown.new ?? shown.old)?.parent
  }
  return indent
}

/** diff.go :: renderSummaryEvent */
function writeSummaryEvent(
  out: TextSink,
  summary: NonNullable<EngineEvent['summaryEvent']>,
  errored: number,
) {
  const changes = summary.resourceChanges ?? {}
  const planTo = summary.isPreview ? 'to ' : ''
  out.color('heading')
  out.write('Resources:\n')
  let kinds = 0
  let count = 0
  for (const [op, prefix, past] of SUMMARY) {
    const c = changes[op]
    if (!c) continue
    kinds++
    count += c
    out.color(op)
    out.write(`    ${prefix}${c} ${planTo}${summary.isPreview ? op : past}\n`)
  }
  out.color('')
  const pieces: string[] = []
  if (kinds >= 2) pieces.push(`${count} ${count === 1 ? 'change' : 'changes'}`)
  if (changes.same) pieces.push(`${changes.same} unchanged`)
  if (pieces.length > 0) out.write(`    ${pieces.join('. ')}\n`)
  if (errored > 0) {
    out.color('error')
    out.write(`    ${errored} errored\n`)
    out.color('')
  }
  if (!summary.isPreview) {
    out.write('\n')
    out.color('heading')
    out.write(`Duration: ${formatDuration(Math.ceil(summary.durationSeconds ?? 0))}\n`)
  }
}

// TextSink's colour marks: \uE000<op>\uE001.
const MARK = /\uE000([^\uE001]*)\uE001/g
const TRAILING_MARKS = /(\uE000[^\uE001]*\uE001)+$/

/** The collected text as lines, each coloured by the first colour written on it (else the one in force). */
function toLines(out: TextSink): LogLine[] {
  const lines: LogLine[] = []
  let current = ''
  // Colour resets after the last newline start no line.
  const text = out.text.replace(TRAILING_MARKS, '').replace(/\n$/, '')
  if (text === '') return lines
  for (const raw of text.split('\n')) {
    let first: string | undefined
    const line = raw.replace(MARK, (_m, op: string) => {
      first ??= op
      current = op
      return ''
    })
    lines.push({ text: line, tone: TONES[first ?? current] ?? 'plain' })
  }
  return lines
}

// Go's time.Duration of whole seconds, as the CLI prints it ("7s", "1m5s", "1h2m3s").
export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = Math.floor(seconds % 60)
  if (h) return `${h}h${m}m${s}s`
  if (m) return `${m}m${s}s`
  return `${s}s`
}

/** The CLI's colour tags (`<{%fg 2%}>`, `<{%reset%}>`) removed: the console colours by line tone instead. */
export function stripColor(text: string): string {
  return text.replace(/<\{%[^%]*%\}>/g, '')
}
