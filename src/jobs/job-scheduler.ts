import type { Logger } from 'pino'
import type { Clock } from '../lib/clock.js'
import type { LeaderLock } from './leader-lock.js'

export interface Job {
  name: string
  /** Time between runs, measured on the injected clock. */
  intervalMs: number
  /** Run once as soon as the scheduler starts (e.g. work a previous process left). */
  atStart?: boolean
  /** `stopping` is aborted when the scheduler stops: a job that loops should end its loop. */
  run(stopping: AbortSignal): Promise<unknown>
}

// The timer looks at the clock at least this often (more often when a job's interval is shorter).
const MAX_TICK_MS = 1000

interface Slot {
  next: number
  running: Promise<void> | undefined
  /** Kicked while running: run again as soon as this run ends. */
  again: boolean
}

/**
 * Runs singleton background jobs on the node holding the leader lock, each when its interval has passed on the
 * injected clock (tests move the clock and call `runDue()` or `runOnce()` instead of sleeping) or at once when
 * kicked. A job never overlaps itself; different jobs run side by side, so a long backup does not hold up webhook
 * deliveries or search indexing.
 */
export class JobScheduler {
  readonly #slots = new Map<string, Slot>()
  readonly #tickMs: number
  #timer: NodeJS.Timeout | undefined
  #pass: Promise<unknown> = Promise.resolve()
  #stopped = false
  readonly #stopping = new AbortController()

  constructor(
    private readonly deps: { clock: Clock; leader: LeaderLock; logger: Logger; jobs: readonly Job[] },
  ) {
    const now = deps.clock.now()
    for (const job of deps.jobs) {
      this.#slots.set(job.name, {
        next: job.atStart ? now : now + job.intervalMs,
        running: undefined,
        again: false,
      })
    }
    this.#tickMs = Math.max(10, Math.min(MAX_TICK_MS, ...deps.jobs.map((job) => job.intervalMs)))
  }

  start(): void {
    this.#timer = setInterval(() => void this.runDue(), this.#tickMs)
    this.#timer.unref()
    void this.runDue()
  }

  /** Runs the jobs whose time has come (on the injected clock), if this node leads; resolves when they end. */
  runDue(): Promise<void> {
    return this.#launch((_job, slot) => slot.next <= this.deps.clock.now(), false)
  }

  /**
   * Runs every job now, if this node leads (tests; also after a clock jump). A job already running is waited for
   * and run again, so everything committed before this call has been seen when it resolves.
   */
  runOnce(): Promise<void> {
    return this.#launch(() => true, true)
  }

  /**
   * Makes a job due now (work was just committed for it) and runs it without waiting for the timer. On a node that
   * does not lead this does nothing: the leader's own timer finds the work.
   */
  kick(name: string): void {
    const slot = this.#slots.get(name)
    if (!slot || this.#stopped) return
    slot.next = Math.min(slot.next, this.deps.clock.now())
    if (slot.running) slot.again = true
    else void this.runDue()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.#stopping.abort()
    clearInterval(this.#timer)
    await this.#pass
    await Promise.all([...this.#slots.values()].map((slot) => slot.running))
    await this.deps.leader.release()
  }

  #launch(due: (job: Job, slot: Slot) => boolean, fresh: boolean): Promise<void> {
    // Passes take the leader lock one at a time; the jobs they start run on their own.
    const pass = this.#pass.then(async () => {
      if (this.#stopped) return []
      try {
        if (!(await this.deps.leader.acquire())) return []
      } catch (error) {
        this.deps.logger.warn({ err: error }, 'background jobs: leader lock unavailable')
        return []
      }
      const started: Promise<void>[] = []
      for (const job of this.deps.jobs) {
        const slot = this.#slots.get(job.name) as Slot
        if (this.#stopped || !due(job, slot)) continue
        started.push(fresh ? this.#startAfter(job, slot) : (slot.running ?? this.#start(job, slot)))
      }
      return started
    })
    this.#pass = pass
    return pass.then((started) => Promise.all(started)).then(() => {})
  }

  async #startAfter(job: Job, slot: Slot): Promise<void> {
    while (slot.running) await slot.running
    if (!this.#stopped) await this.#start(job, slot)
  }

  #start(job: Job, slot: Slot): Promise<void> {
    slot.next = this.deps.clock.now() + job.intervalMs
    slot.again = false
    const running = (async () => {
      try {
        await job.run(this.#stopping.signal)
      } catch (error) {
        this.deps.logger.error({ err: error, job: job.name }, 'background job failed')
      } finally {
        slot.running = undefined
      }
      if (slot.again && !this.#stopped) void this.runDue()
    })()
    slot.running = running
    return running
  }
}
