/**
 * Who runs the singleton background jobs (lease expiry, compression backlog): exactly one node at a time.
 * SQLite serves one node, which always leads; on PostgreSQL an implementation holds a session advisory lock
 * (pg_try_advisory_lock) and reports false on every other replica.
 */
export interface LeaderLock {
  /** True while this node holds (or has just taken) the lock. Cheap to call before every run. */
  acquire(): Promise<boolean>
  release(): Promise<void>
}

export const soleNode: LeaderLock = {
  acquire: async () => true,
  release: async () => {},
}
