import type { Logger } from 'pino'
import type { MetaStore } from '../db/meta-store.js'
import type { Clock } from '../lib/clock.js'

/**
 * Periodic work that exactly one replica does per period: the last run's time lives in the database, and a replica
 * runs the job only after winning a compare-and-set that moves it forward. Nothing is held while the job runs, so
 * a replica that dies mid-run blocks nobody; the next period runs as usual. Time comes from the injected clock and
 * `runOnce` lets tests drive it without timers.
 */
export class SingletonJob {
  readonly #key: string
  #timer: NodeJS.Timeout | undefined
  #busy = false

  constructor(
    private readonly deps: {
      name: string
      intervalMs: number
      meta: MetaStore
      clock: Clock
      logger: Logger
      run: () => Promise<unknown>
    },
  ) {
    this.#key = `job_last_run:${deps.name}`
  }

  start(): void {
    // Checking often is cheap (one read); the stored time decides when the job is due.
    const checkMs = Math.min(Math.max(Math.floor(this.deps.intervalMs / 10), 1000), 60_000)
    this.#timer = setInterval(() => {
      void this.runOnce().catch((error: unknown) =>
        this.deps.logger.error({ err: error, job: this.deps.name }, 'scheduled job failed'),
      )
    }, checkMs)
    this.#timer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
  }

  /** Runs the job if it is due and this replica claims the period; true when it ran. */
  async runOnce(): Promise<boolean> {
    if (this.#busy) return false
    this.#busy = true
    try {
      const { meta, clock, intervalMs } = this.deps
      const last = await meta.get(this.#key)
      const now = clock.now()
      if (last !== undefined && now - Number(last) < intervalMs) return false
      if (!(await meta.compareAndSet(this.#key, last, String(now)))) return false
      await this.deps.run()
      return true
    } finally {
      this.#busy = false
    }
  }
}
