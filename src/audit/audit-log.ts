import type { Store } from '../db/store.js'
import type { Clock } from '../lib/clock.js'
import type { AuditEvent, StoredAuditEvent } from './audit-event.js'
import { auditScope } from './audit-scope.js'
import type { AuditSink } from './audit-sink.js'

// PostgreSQL's unique_violation; SQLite serializes writers and never races here.
const isUniqueViolation = (error: unknown) => (error as { code?: unknown } | null)?.code === '23505'

/** Writes audit events that are not part of a request's change (failures, denials, logins, reloads). */
export class AuditLog {
  constructor(private readonly deps: { store: Store; clock: Clock; sink: AuditSink; defaultOrg: string }) {}

  get clock(): Clock {
    return this.deps.clock
  }

  get defaultOrg(): string {
    return this.deps.defaultOrg
  }

  get sink(): AuditSink {
    return this.deps.sink
  }

  /**
   * In a transaction of its own, outside any request's pending event. On PostgreSQL two such writes (one request's
   * after-response event and the next's) can read the same chain tail and claim the same seq: the loser retries
   * on the unique violation instead of dropping its event.
   */
  async record(event: AuditEvent): Promise<StoredAuditEvent> {
    for (let attempt = 1; ; attempt++) {
      try {
        const stored = await auditScope.exit(() =>
          this.deps.store.transaction((tx) => tx.audit.append(event)),
        )
        this.deps.sink(stored)
        return stored
      } catch (error) {
        if (attempt >= 10 || !isUniqueViolation(error)) throw error
      }
    }
  }

  /** A server event with no request (RBAC reload, retention). */
  async system(action: string, resource: string, result: 'success' | 'failure', description: string) {
    return this.record({
      timeMs: this.deps.clock.now(),
      org: this.deps.defaultOrg,
      actor: 'system',
      tokenName: undefined,
      action,
      method: '',
      resource,
      result,
      httpStatus: 0,
      sourceIp: '',
      userAgent: '',
      description,
    })
  }
}
