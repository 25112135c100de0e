import type { Logger } from 'pino'
import type { Clock } from '../lib/clock.js'
import type { LeaderLock } from './leader-lock.js'

export interface Job {
  name: string
  /** Time between runs, measured on the injected clock. */
  intervalMs: number
  /** Run once as soon as the scheduler starts (e.g. work a previous process left). */
  atStart?: boolean
  run(): Promise<unknown>
}

// How often the timer looks at the clock; jobs run when their interval has passed on the injected clock.
const TICK_MS = 1000

/**
 * Runs singleton background jobs on the node holding the leader lock, one job at a time, each when its interval
 * has passed on the injected clock: tests move the clock and call `runDue()` or `runOnce()` instead of sleeping.
 */
export class JobScheduler {
  readonly #next = new Map<string, number>()
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> = Promise.resolve()
  #stopped = false

  constructor(
    private readonly deps: { clock: Clock; leader: LeaderLock; logger: Logger; jobs: readonly Job[] },
  ) {
    const now = deps.clock.now()
    for (const job of deps.jobs) this.#next.set(job.name, job.atStart ? now : now + job.intervalMs)
  }

  start(): void {
    this.#timer = setInterval(() => void this.runDue(), TICK_MS)
    this.#timer.unref()
    void this.runDue()
  }

  /** Runs the jobs whose time has come (on the injected clock), if this node leads. */
  runDue(): Promise<void> {
    return this.#serialized(() =>
      this.#run((job) => (this.#next.get(job.name) ?? 0) <= this.deps.clock.now()),
    )
  }

  /** Runs every job now, if this node leads (tests; also after a clock jump). */
  runOnce(): Promise<void> {
    return this.#serialized(() => this.#run(() => true))
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#timer)
    await this.#running
    await this.deps.leader.release()
  }

  #serialized(work: () => Promise<void>): Promise<void> {
    this.#running = this.#running.then(work)
    return this.#running
  }

  async #run(due: (job: Job) => boolean): Promise<void> {
    if (this.#stopped) return
    try {
      if (!(await this.deps.leader.acquire())) return
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'background jobs: leader lock unavailable')
      return
    }
    for (const job of this.deps.jobs) {
      if (this.#stopped || !due(job)) continue
      this.#next.set(job.name, this.deps.clock.now() + job.intervalMs)
      try {
        await job.run()
      } catch (error) {
        this.deps.logger.error({ err: error, job: job.name }, 'background job failed')
      }
    }
  }
}
