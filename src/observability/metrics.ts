import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { routeTemplate } from '../http/route-template.js'
import type { UpdateKind, UpdateStatus } from '../updates/update.js'
import type { UpdateObserver } from '../updates/update-observer.js'

/** How a checkpoint or journal upload reached the server (the Go server's `mode` label, plus `journal`). */
export type UploadMode = 'full' | 'verbatim' | 'delta' | 'journal'

const KIB = 1024

/**
 * The server's Prometheus metrics, on a registry of its own (never prom-client's global one, so two servers in one
 * process, as in tests, do not share series). Names and labels follow the Go server (internal/api/metrics.go) where
 * it has the same metric; process and Node.js runtime metrics keep their standard unprefixed names
 * (process_*, nodejs_*), as the Go server's process and go_* collectors do.
 */
export class Metrics implements UpdateObserver {
  readonly registry = new Registry()
  /** Route label by Fastify URL pattern: one entry per registered route. */
  readonly #routeLabels = new Map<string, string>()

  readonly #requests = new Counter({
    name: 'pulumi_backend_http_requests_total',
    help: 'HTTP requests answered, by method, route template, CLI operation name and status code',
    labelNames: ['method', 'route', 'operation', 'status'] as const,
    registers: [this.registry],
  })

  readonly #requestSeconds = new Histogram({
    name: 'pulumi_backend_http_request_duration_seconds',
    help: 'Time from receiving a request to sending its response, by method, route template and CLI operation',
    labelNames: ['method', 'route', 'operation'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  })

  readonly #stackOperations = new Counter({
    name: 'pulumi_backend_stack_operations_total',
    help: 'Successful stack operations: create, delete, rename, import',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  })

  readonly #updatesStarted = new Counter({
    name: 'pulumi_backend_updates_started_total',
    help: 'Updates started (previews included), by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  })

  readonly #updatesFinished = new Counter({
    name: 'pulumi_backend_updates_finished_total',
    help: 'Updates ended, by kind and result (succeeded, failed, cancelled)',
    labelNames: ['kind', 'result'] as const,
    registers: [this.registry],
  })

  readonly #updateSeconds = new Histogram({
    name: 'pulumi_backend_update_duration_seconds',
    help: 'Duration of updates from start to end, by kind and result',
    labelNames: ['kind', 'status'] as const,
    buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1800],
    registers: [this.registry],
  })

  readonly #leaseExpiries = new Counter({
    name: 'pulumi_backend_lease_expirations_total',
    help: 'Updates the server ended because their lease ran out (the CLI went away)',
    registers: [this.registry],
  })

  readonly #uploadBytes = new Histogram({
    name: 'pulumi_backend_checkpoint_bytes',
    help: 'Accepted checkpoint and journal upload sizes after decompression, by mode (full, verbatim, delta, journal)',
    labelNames: ['mode'] as const,
    // 1 KiB × 4^n up to 16 MiB, as the Go server.
    buckets: [1, 4, 16, 64, 256, 1024, 4096, 16384].map((k) => k * KIB),
    registers: [this.registry],
  })

  readonly #eventFlushLag = new Histogram({
    name: 'pulumi_backend_event_flush_lag_seconds',
    help: 'How long an engine event batch took to be stored, from reaching the update service',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  })

  readonly #queries = new Histogram({
    name: 'pulumi_backend_db_query_duration_seconds',
    help: 'Database statement latency, by statement kind (select, insert, update, delete, other)',
    labelNames: ['statement'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  })

  constructor() {
    // Process CPU, memory, file descriptors, GC, and event-loop lag (nodejs_eventloop_lag_*).
    collectDefaultMetrics({ register: this.registry })
  }

  /**
   * pulumi_backend_active_updates, read at scrape time from `count` (the database, so every replica reports the
   * same truth, unlike the Go server's in-memory counter that drifts).
   */
  trackActiveUpdates(count: () => Promise<number>): void {
    new Gauge({
      name: 'pulumi_backend_active_updates',
      help: 'Updates running now, counted in the database',
      registers: [this.registry],
      async collect() {
        this.set(await count())
      },
    })
  }

  observeRequest(method: string, route: string, operation: string, status: number, seconds: number): void {
    this.#requests.inc({ method, route, operation, status })
    this.#requestSeconds.observe({ method, route, operation }, seconds)
  }

  routeLabel(url: string): string {
    let label = this.#routeLabels.get(url)
    if (label === undefined) {
      label = routeTemplate(url)
      this.#routeLabels.set(url, label)
    }
    return label
  }

  stackOperation(operation: 'create' | 'delete' | 'rename' | 'import'): void {
    this.#stackOperations.inc({ operation })
  }

  uploadBytes(mode: UploadMode, bytes: number): void {
    this.#uploadBytes.observe({ mode }, bytes)
  }

  eventsFlushed(lagSeconds: number): void {
    this.#eventFlushLag.observe(lagSeconds)
  }

  query(statement: string, seconds: number): void {
    this.#queries.observe({ statement }, seconds)
  }

  updateStarted(kind: UpdateKind): void {
    this.#updatesStarted.inc({ kind })
  }

  updateFinished(kind: UpdateKind, result: UpdateStatus, durationMs: number): void {
    this.#updatesFinished.inc({ kind, result })
    this.#updateSeconds.observe({ kind, status: result }, durationMs / 1000)
  }

  leaseExpired(): void {
    this.#leaseExpiries.inc()
  }

  /** The Prometheus text exposition. */
  render(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}

/** The statement label for a SQL text: its leading keyword, from a small fixed set (bounded cardinality). */
export function statementKind(sqlText: string): string {
  const keyword = /^\s*(\w+)/.exec(sqlText)?.[1]?.toLowerCase()
  return keyword === 'select' || keyword === 'insert' || keyword === 'update' || keyword === 'delete'
    ? keyword
    : 'other'
}
