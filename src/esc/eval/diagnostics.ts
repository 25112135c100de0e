// Diagnostics and source ranges in the shapes ESC reports them (pulumi/esc syntax/diags.go wraps hcl.Diagnostic;
// esc.Range is the lower-case JSON form used in traces).

export interface Pos {
  line: number
  column: number
  byte: number
}

export interface SourceRange {
  environment: string
  begin: Pos
  end: Pos
}

export const SEVERITY_ERROR = 1
export const SEVERITY_WARNING = 2

export interface Diagnostic {
  severity: typeof SEVERITY_ERROR | typeof SEVERITY_WARNING
  summary: string
  range?: SourceRange
  /** The document path of the node the diagnostic is about, e.g. `values.a["fn::secret"]`. */
  path: string
}

export function errorDiag(summary: string, range: SourceRange | undefined, path: string): Diagnostic {
  return { severity: SEVERITY_ERROR, summary, range, path }
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === SEVERITY_ERROR)
}

/** Orders diagnostics as ESC's tests and CLI do: unplaced ones first, then by file, line, column. */
export function sortDiagnostics(diags: Diagnostic[]): Diagnostic[] {
  return diags.sort((a, b) => {
    if (!a.range || !b.range) {
      if (!a.range && !b.range) return a.summary < b.summary ? -1 : a.summary > b.summary ? 1 : 0
      return a.range ? 1 : -1
    }
    if (a.range.environment !== b.range.environment) return a.range.environment < b.range.environment ? -1 : 1
    if (a.range.begin.line !== b.range.begin.line) return a.range.begin.line - b.range.begin.line
    return a.range.begin.column - b.range.begin.column
  })
}

/** The wire form of a diagnostic in the ESC API (pulumi/esc cmd/esc/cli/client apitype EnvironmentDiagnostic). */
export interface WireDiagnostic {
  range?: SourceRange
  summary: string
  path?: string
}

export function toWireDiagnostic(d: Diagnostic): WireDiagnostic {
  return { ...(d.range ? { range: d.range } : {}), summary: d.summary, ...(d.path ? { path: d.path } : {}) }
}
