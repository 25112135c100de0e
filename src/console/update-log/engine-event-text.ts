/**
 * An update's stored engine events as the lines the CLI prints for them in its diff display (`pulumi up --diff`,
 * pkg/backend/display/diff.go :: RenderDiffEvent, ShowDiffEvents). Each line carries the colour class of its
 * operation. Property-level bodies (inputs, outputs, diffs) are not rendered yet: see the console README section.
 */
export interface LogLine {
  text: string
  tone: 'plain' | 'create' | 'update' | 'delete' | 'replace' | 'info' | 'warning' | 'error' | 'heading'
}

interface StepMetadata {
  op?: string
  urn?: string
  type?: string
  old?: { id?: string; parent?: string; provider?: string } | null
  new?: { id?: string; parent?: string; provider?: string } | null
  provider?: string
}

interface EngineEvent {
  preludeEvent?: { config?: Record<string, string> }
  resourcePreEvent?: { metadata?: StepMetadata }
  diagnosticEvent?: { message?: string; severity?: string; urn?: string }
  summaryEvent?: { durationSeconds?: number; resourceChanges?: Record<string, number> }
  stdoutEvent?: { message?: string }
}

// deploy.StepOp display symbols and colours (display/diff.go, deploy/step.go :: Prefix).
const OPS: Record<string, { symbol: string; tone: LogLine['tone'] }> = {
  same: { symbol: ' ', tone: 'plain' },
  create: { symbol: '+', tone: 'create' },
  update: { symbol: '~', tone: 'update' },
  delete: { symbol: '-', tone: 'delete' },
  replace: { symbol: '+-', tone: 'replace' },
  'create-replacement': { symbol: '++', tone: 'replace' },
  'delete-replaced': { symbol: '--', tone: 'replace' },
  read: { symbol: '>', tone: 'info' },
  refresh: { symbol: '~', tone: 'update' },
  import: { symbol: '=', tone: 'info' },
  discard: { symbol: '-', tone: 'delete' },
}

// Summary order as the CLI prints it (display/progress.go :: renderSummary via deploy.StepOps order).
const SUMMARY: readonly [string, string, string][] = [
  ['create', '+', 'created'],
  ['update', '~', 'updated'],
  ['delete', '-', 'deleted'],
  ['replace', '+-', 'replaced'],
  ['read', '>', 'read'],
  ['refresh', '~', 'refreshed'],
  ['import', '=', 'imported'],
  ['discard', '-', 'discarded'],
]

export function renderEngineEvents(eventTexts: readonly string[]): LogLine[] {
  const lines: LogLine[] = []
  // The CLI nests a step under its parent only when the parent was displayed before it (a destroy shows children
  // first, at the top level): display/diff.go :: getIndent walks the displayed parents.
  const shownDepth = new Map<string, number>()
  for (const text of eventTexts) {
    let event: EngineEvent
    try {
      event = JSON.parse(text) as EngineEvent
    } catch {
      continue
    }
    if (event.preludeEvent) {
      lines.push({ text: 'Configuration:', tone: 'plain' })
      for (const [key, value] of Object.entries(event.preludeEvent.config ?? {}).sort()) {
        lines.push({ text: `    ${key}: ${value}`, tone: 'plain' })
      }
    } else if (event.resourcePreEvent?.metadata) {
      lines.push(...stepLines(event.resourcePreEvent.metadata, shownDepth))
    } else if (event.diagnosticEvent?.message) {
      const tone = event.diagnosticEvent.severity === 'error' ? 'error' : 'info'
      const severity = event.diagnosticEvent.severity === 'warning' ? 'warning' : tone
      for (const line of stripColor(event.diagnosticEvent.message).replace(/\n$/, '').split('\n')) {
        lines.push({ text: line, tone: severity === 'warning' ? 'warning' : tone })
      }
    } else if (event.summaryEvent) {
      lines.push(...summaryLines(event.summaryEvent))
    }
  }
  return lines
}

function stepLines(step: StepMetadata, shownDepth: Map<string, number>) {
  const urn = step.urn ?? ''
  const parent = (step.new ?? step.old)?.parent
  const parentDepth = parent ? shownDepth.get(parent) : undefined
  const depth = parentDepth === undefined ? 0 : parentDepth + 1
  shownDepth.set(urn, depth)
  const op = OPS[step.op ?? 'same'] ?? OPS.same
  const symbol = depth === 0 && step.op === 'same' ? '  ' : `${op?.symbol ?? ' '} `.slice(0, 2)
  const tone = op?.tone ?? 'plain'
  const indent = ' '.repeat(4 * depth)
  const detail = ' '.repeat(4 * depth + 4)
  const out: LogLine[] = [{ text: `${indent}${symbol}${step.type}: (${step.op})`, tone }]
  const id = step.old?.id || step.new?.id
  if (id) out.push({ text: `${detail}[id=${id}]`, tone })
  out.push({ text: `${detail}[urn=${urn}]`, tone })
  return out
}

function summaryLines(summary: NonNullable<EngineEvent['summaryEvent']>): LogLine[] {
  const changes = summary.resourceChanges ?? {}
  const out: LogLine[] = [{ text: 'Resources:', tone: 'heading' }]
  for (const [op, symbol, verb] of SUMMARY) {
    const count = changes[op]
    if (count) out.push({ text: `    ${symbol.padEnd(2)}${count} ${verb}`, tone: OPS[op]?.tone ?? 'plain' })
  }
  if (changes.same) out.push({ text: `    ${changes.same} unchanged`, tone: 'plain' })
  out.push({ text: '', tone: 'plain' })
  out.push({ text: `Duration: ${formatDuration(summary.durationSeconds ?? 0)}`, tone: 'heading' })
  return out
}

// Go's time.Duration rounded to seconds, as the CLI prints it ("7s", "1m5s", "1h2m3s").
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
