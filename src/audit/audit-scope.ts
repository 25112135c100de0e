import { AsyncLocalStorage } from 'node:async_hooks'
import type { AuditEvent, StoredAuditEvent } from './audit-event.js'

/**
 * The audit event of the request being handled, waiting to be written. The store's `transaction` writes it inside
 * the first transaction that commits during the request, so a change and its audit event commit together or not
 * at all; if no transaction commits (refused, failed, read-only work), the HTTP shell writes it after the response.
 */
export interface PendingAudit {
  /** The event as it reads if the request succeeds. */
  draft(): AuditEvent
  written: boolean
  /** Told once the event is committed (the sink line). */
  committed(event: StoredAuditEvent): void
}

export const auditScope = new AsyncLocalStorage<PendingAudit>()
