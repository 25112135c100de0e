import pg from 'pg'
import type { Logger } from 'pino'
import type { LeaderLock } from '../jobs/leader-lock.js'

/** Arbitrary constant naming the singleton-jobs lock among PostgreSQL advisory locks. */
const JOBS_LOCK_KEY = 7_245_002

/**
 * Leadership for singleton jobs among replicas on one PostgreSQL: a session advisory lock held on a connection of
 * its own (a pooled one would hand the session to other work). If that connection drops, PostgreSQL releases the
 * lock with the session, so another replica can take over; this node notices and tries again on the next call.
 */
export class PostgresLeaderLock implements LeaderLock {
  #client: pg.Client | undefined
  #held = false

  constructor(
    private readonly url: string,
    private readonly logger?: Logger,
  ) {}

  async acquire(): Promise<boolean> {
    if (this.#held && this.#client) return true
    try {
      const client = this.#client ?? (await this.#connect())
      const result = await client.query<{ held: boolean }>('select pg_try_advisory_lock($1) as held', [
        JOBS_LOCK_KEY,
      ])
      this.#held = result.rows[0]?.held === true
    } catch (error) {
      this.#drop(error)
    }
    return this.#held
  }

  async release(): Promise<void> {
    const client = this.#client
    this.#client = undefined
    this.#held = false
    // Ending the session releases its advisory locks.
    await client?.end().catch(() => {})
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      application_name: 'pulumi-backend leader',
    })
    // A dropped session loses the lock: stop claiming it (without this listener the error would crash the process).
    client.on('error', (error) => {
      if (this.#client === client) this.#drop(error)
    })
    client.on('end', () => {
      if (this.#client === client) this.#drop(undefined)
    })
    await client.connect()
    this.#client = client
    return client
  }

  #drop(error: unknown): void {
    if (error && this.#held) {
      this.logger?.warn(
        { err: { message: (error as Error).message } },
        'lost the singleton-jobs lock connection',
      )
    }
    const client = this.#client
    this.#client = undefined
    this.#held = false
    void client?.end().catch(() => {})
  }
}
