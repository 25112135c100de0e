import type { Logger } from 'pino'
import type { UpdateService } from './update-service.js'

/**
 * Ends updates whose CLI went away: a lapsed lease fails the update with the state it saved and frees the stack.
 * Lapsed leases are also caught lazily whenever the update or its stack is touched; this sweep covers the rest.
 */
export function startLeaseExpiryJob(updates: UpdateService, leaseDurationMs: number, logger: Logger) {
  const intervalMs = Math.min(Math.max(Math.floor(leaseDurationMs / 4), 1000), 30_000)
  let running = false
  const timer = setInterval(() => {
    if (running) return
    running = true
    updates
      .expireLapsedLeases()
      .catch((error: unknown) => logger.error({ err: error }, 'lease expiry sweep failed'))
      .finally(() => {
        running = false
      })
  }, intervalMs)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
