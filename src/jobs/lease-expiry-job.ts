import type { UpdateService } from '../updates/update-service.js'
import type { Job } from './job-scheduler.js'

/**
 * Ends updates whose CLI went away: a lapsed lease fails the update with the state it saved and frees the stack.
 * Lapsed leases are also caught lazily whenever the update or its stack is touched; this sweep covers the rest.
 */
export function leaseExpiryJob(updates: UpdateService, leaseDurationMs: number): Job {
  return {
    name: 'lease-expiry',
    intervalMs: Math.min(Math.max(Math.floor(leaseDurationMs / 4), 1000), 30_000),
    run: () => updates.expireLapsedLeases(),
  }
}
