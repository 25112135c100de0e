import type { MetaStore } from '../db/meta-store.js'
import type { Clock } from '../lib/clock.js'

/**
 * Periodic work done once per period across restarts and replicas: the last run's time lives in the database, and
 * `runOnce` runs the job only when a period has passed and this caller wins the compare-and-set that moves it
 * forward. Nothing is held while the job runs, so a replica that dies mid-run blocks nobody. The JobScheduler calls
 * `runOnce` often (on the leader); time comes from the injected clock.
 */
export class SingletonJob {
  readonly #key: string
  #busy = false

  constructor(
    private readonly deps: {
      name: string
      intervalMs: number
      meta: MetaStore
      clock: Clock
      run: () => Promise<unknown>
    },
  ) {
    this.#key = `job_last_run:${deps.name}`
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
