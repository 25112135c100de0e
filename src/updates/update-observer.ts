import type { UpdateKind, UpdateStatus } from './update.js'

/**
 * What the update lifecycle reports to whoever watches it (metrics today). A port, so the service never knows how
 * it is observed; every call is fire-and-forget and must not throw.
 */
export interface UpdateObserver {
  updateStarted(kind: UpdateKind): void
  /** `durationMs`: from start (or creation, when it never started) to the end, by the injected clock. */
  updateFinished(kind: UpdateKind, result: UpdateStatus, durationMs: number): void
  /** A lease ran out and the server ended the update (the CLI went away). */
  leaseExpired(): void
  /** An engine event batch was stored (before it is acknowledged), `lagSeconds` after it reached the service. */
  eventsFlushed(lagSeconds: number): void
}
