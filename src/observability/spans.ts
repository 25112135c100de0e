/**
 * The one tracing port the rest of the code sees: run work inside a named span. Without -otel-service-name it is
 * `untraced` (no cost, no OpenTelemetry loaded).
 */
export interface SpanRunner {
  /** Runs `work` in a child span of the current one; with no current span (background work) it just runs it. */
  child<T>(name: string, attributes: Record<string, string | number>, work: () => Promise<T>): Promise<T>
}

export const untraced: SpanRunner = {
  child: (_name, _attributes, work) => work(),
}
