import { setImmediate } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { UpdateLogStore } from './update-log-store.js'

interface EventRow {
  updateId: string
  sequence: number
  event: string
}

// Rows per insert; a turn of the event loop separates slices, since better-sqlite3 is synchronous and MBs of
// events in one statement would stall every other request meanwhile.
const ROWS_PER_SLICE = 50

/**
 * Engine events are many and large, and the CLI only logs failures to store them, so they are written in batches
 * (-event-buffer-size, -event-flush-interval) instead of one transaction per POST. An update's events are flushed
 * before its completion is acknowledged, and everything is flushed on shutdown. Writes are kept in order per
 * update; different updates flush independently, so one update's completion never waits for the others.
 */
export class EventBuffer {
  readonly #pending = new Map<string, EventRow[]>()
  readonly #writing = new Map<string, Promise<void>>()
  /** When each update's oldest pending event was buffered (performance.now()), for the flush-lag metric. */
  readonly #since = new Map<string, number>()
  #count = 0
  readonly #timer: NodeJS.Timeout

  constructor(
    private readonly deps: {
      logs: UpdateLogStore
      maxBuffered: number
      flushIntervalMs: number
      logger: Logger
      /** Called after a flush with how long its oldest event waited in memory, in seconds. */
      onFlushed?: (lagSeconds: number) => void
    },
  ) {
    this.#timer = setInterval(() => {
      this.flushAll().catch((error: unknown) =>
        deps.logger.error({ err: error }, 'engine event flush failed'),
      )
    }, deps.flushIntervalMs)
    this.#timer.unref()
  }

  async add(rows: readonly EventRow[]): Promise<void> {
    for (const row of rows) {
      const list = this.#pending.get(row.updateId)
      if (list) list.push(row)
      else {
        this.#pending.set(row.updateId, [row])
        this.#since.set(row.updateId, performance.now())
      }
    }
    this.#count += rows.length
    // A full buffer is flushed before the request is answered: back-pressure instead of unbounded memory.
    if (this.#count >= this.deps.maxBuffered) await this.flushAll()
  }

  /** Writes the update's buffered events; resolves once all of them, earlier writes included, are stored. */
  flush(updateId: string): Promise<void> {
    const rows = this.#pending.get(updateId)
    const previous = this.#writing.get(updateId) ?? Promise.resolve()
    if (!rows) return previous
    this.#pending.delete(updateId)
    this.#count -= rows.length
    const since = this.#since.get(updateId) ?? performance.now()
    this.#since.delete(updateId)
    const write = previous
      .then(() => this.#write(updateId, rows))
      .then(() => this.deps.onFlushed?.((performance.now() - since) / 1000))
    const settled = write.catch(() => {})
    this.#writing.set(updateId, settled)
    void settled.then(() => {
      if (this.#writing.get(updateId) === settled) this.#writing.delete(updateId)
    })
    return write
  }

  async flushAll(): Promise<void> {
    await Promise.all([...this.#pending.keys(), ...this.#writing.keys()].map((id) => this.flush(id)))
  }

  async close(): Promise<void> {
    clearInterval(this.#timer)
    await this.flushAll()
  }

  async #write(updateId: string, rows: EventRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += ROWS_PER_SLICE) {
      try {
        await this.deps.logs.appendEvents(rows.slice(i, i + ROWS_PER_SLICE))
      } catch (error) {
        // Keep what was not written, ahead of anything buffered since, for the next flush.
        const rest = rows.slice(i)
        this.#pending.set(updateId, rest.concat(this.#pending.get(updateId) ?? []))
        this.#count += rest.length
        throw error
      }
      if (i + ROWS_PER_SLICE < rows.length) await setImmediate()
    }
  }
}
