// Latency and byte accounting per request kind.
import { gzipSync } from 'node:zlib'
import {
  type CallOptions,
  type CliClient,
  type CliResponse,
  goJsonMarshal,
} from '../test/support/cli-client.js'

export interface KindStats {
  count: number
  p50: number
  p95: number
  p99: number
  max: number
  totalMs: number
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index] ?? 0
}

export function summarize(samples: number[]): KindStats {
  const sorted = [...samples].sort((a, b) => a - b)
  const round = (n: number) => Math.round(n * 100) / 100
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? 0),
    totalMs: round(sorted.reduce((a, b) => a + b, 0)),
  }
}

/** Wraps a CliClient: every call is timed under a kind, and its request wire bytes are counted. */
export class Recorder {
  readonly samples = new Map<string, number[]>()
  /** Server-side handling time per kind, from the server's `Server-Timing: app;dur=…` header. */
  readonly serverSamples = new Map<string, number[]>()
  requests = 0
  errors = 0
  bytesSent = 0

  constructor(
    readonly inner: CliClient,
    /** Count request wire bytes (re-gzips each body after the call, outside the timed window). */
    readonly countBytes = true,
  ) {}

  /** A CliClient-compatible object whose calls are recorded under `kind`. */
  as(kind: string): CliClient {
    const call = <T>(method: string, path: string, options: CallOptions = {}) =>
      this.call<T>(kind, method, path, options)
    return { baseUrl: this.inner.baseUrl, token: this.inner.token, call } as unknown as CliClient
  }

  async call<T>(
    kind: string,
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<CliResponse<T>> {
    const start = performance.now()
    this.requests++
    let headers: CliResponse['headers'] | undefined
    try {
      const response = await this.inner.call<T>(method, path, options)
      headers = response.headers
      return response
    } catch (error) {
      this.errors++
      throw error
    } finally {
      const serverMs = serverTiming(headers)
      if (serverMs !== undefined) push(this.serverSamples, kind, serverMs)
      const ms = performance.now() - start
      let list = this.samples.get(kind)
      if (!list) {
        list = []
        this.samples.set(kind, list)
      }
      list.push(ms)
      // Gzip wire bytes exactly as sent: re-encode the body the same way the client does (default level).
      if (this.countBytes) this.bytesSent += requestWireBytes(options)
    }
  }

  stats(): Record<string, KindStats> {
    const out: Record<string, KindStats> = {}
    for (const [kind, list] of this.samples) out[kind] = summarize(list)
    return out
  }

  serverStats(): Record<string, KindStats> {
    const out: Record<string, KindStats> = {}
    for (const [kind, list] of this.serverSamples) out[kind] = summarize(list)
    return out
  }

  allSamples(): number[] {
    return [...this.samples.values()].flat()
  }
}

function requestWireBytes(options: CallOptions): number {
  let payload: Buffer | undefined
  if (options.rawBody !== undefined) payload = options.rawBody
  else if (options.body !== undefined) payload = Buffer.from(goJsonMarshal(options.body))
  if (payload === undefined) return 0
  return options.gzip ? gzipSync(payload).length : payload.length
}

function push(map: Map<string, number[]>, kind: string, value: number): void {
  const list = map.get(kind)
  if (list) list.push(value)
  else map.set(kind, [value])
}

/** `Server-Timing: app;dur=1.23` → 1.23. */
function serverTiming(headers: CliResponse['headers'] | undefined): number | undefined {
  const value = headers?.['server-timing']
  const match = /app;dur=([0-9.]+)/.exec(Array.isArray(value) ? value.join(',') : (value ?? ''))
  return match ? Number(match[1]) : undefined
}
