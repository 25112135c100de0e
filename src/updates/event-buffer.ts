import { setImmediate } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { UpdateLogStore } from './update-log-store.js'

const ROWS_PER_SLICE = 50

interface EventRow {
  updateId: string
  sequence: number
  event: string
}

/**
 * Engine events are many and small, and the CLI only logs failures to store them, so they are written in batches
 * (-event-buffer-size, -event-flush-interval) instead of one transaction per POST. Every update's events are
 * flushed before its completion is acknowledged, and everything is flushed on shutdown.
 */
export class EventBuffer {
  #pending: EventRow[] = []
  #writing: Promise<void> = Promise.resolve()
  readonly #timer: NodeJS.Timeout

  constructor(
    private readonly deps: {
      logs: UpdateLogStore
      maxBuffered: number
      flushIntervalMs: number
      logger: Logger
    },
  ) {
    this.#timer = setInterval(() => {
      this.flush().catch((error: unknown) => deps.logger.error({ err: error }, 'engine event flush failed'))
    }, deps.flushIntervalMs)
    this.#timer.unref()
  }

  async add(rows: readonly EventRow[]): Promise<void> {
    this.#pending.push(...rows)
    // A full buffer is flushed before the request is answered: back-pressure instead of unbounded memory.
    if (this.#pending.length >= this.deps.maxBuffered) await this.flush()
  }

  /** Writes everything buffered so far; concurrent calls are serialized. */
  flush(): Promise<void> {
    const write = this.#writing.then(async () => {
      if (this.#pending.length === 0) return
      const rows = this.#pending
      this.#pending = []
      // Written in small slices with a turn of the event loop between them: better-sqlite3 is synchronous,
      // and a second's worth of events (MBs) in one statement would stall every other request meanwhile.
      for (let i = 0; i < rows.length; i += ROWS_PER_SLICE) {
        try {
          await this.deps.logs.appendEvents(rows.slice(i, i + ROWS_PER_SLICE))
        } catch (error) {
          this.#pending = rows.slice(i).concat(this.#pending)
          throw error
        }
        if (i + ROWS_PER_SLICE < rows.length) await setImmediate()
      }
    })
    this.#writing = write.catch(() => {})
    return write
  }

  async close(): Promise<void> {
    clearInterval(this.#timer)
    await this.flush()
  }
}
