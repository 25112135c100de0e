import type { Logger } from 'pino'
import type { AuditLog } from '../audit/audit-log.js'
import type { AuditStore } from '../audit/audit-store.js'
import type { Clock } from '../lib/clock.js'

const INTERVAL_MS = 60 * 60 * 1000

/**
 * Deletes audit events older than -audit-retention, hourly and once at start. Safe on every replica at once: the
 * deletion and the new chain anchor are one transaction and idempotent, so a second runner finds nothing to do
 * (no leader election needed). The pruning itself is audited.
 */
export function startAuditRetentionJob(deps: {
  store: AuditStore
  audit: AuditLog
  clock: Clock
  retentionMs: number
  logger: Logger
}) {
  if (deps.retentionMs <= 0) return { stop: () => {}, runOnce: async () => 0 }
  let running = false
  const runOnce = async (): Promise<number> => {
    if (running) return 0
    running = true
    try {
      const { deleted } = await deps.store.deleteBefore(deps.clock.now() - deps.retentionMs)
      if (deleted > 0) {
        await deps.audit.system('auditRetention', 'auditlogs', 'success', `deleted ${deleted} events`)
      }
      return deleted
    } catch (error) {
      deps.logger.error({ err: error }, 'audit retention sweep failed')
      return 0
    } finally {
      running = false
    }
  }
  void runOnce()
  const timer = setInterval(() => void runOnce(), INTERVAL_MS)
  timer.unref()
  return { stop: () => clearInterval(timer), runOnce }
}
