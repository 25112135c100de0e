import { createHash } from 'node:crypto'

/** success: the change happened; failure: the request failed (4xx/5xx); denied: refused by access control. */
export type AuditResult = 'success' | 'failure' | 'denied'

/** One audited happening: who did what to which resource, from where, when, and how it ended. */
export interface AuditEvent {
  timeMs: number
  /** The organization the event belongs to (the path's, else the server's -org). */
  org: string
  /** The user's login, `update:<id>` for an update token, `anonymous` before authentication, `system`. */
  actor: string
  tokenName: string | undefined
  /** The route's operationId, or a named security event (loginSuccess, rbacReload, ...). */
  action: string
  method: string
  /** `org`, `org/project` or `org/project/stack`, or another subject (a token id, a user). */
  resource: string
  result: AuditResult
  httpStatus: number
  sourceIp: string
  userAgent: string
  description: string
}

/** A stored event: its place in the chain. */
export interface StoredAuditEvent extends AuditEvent {
  seq: number
  prevHash: string
  hash: string
}

/** The hash before the first event ever written. */
export const GENESIS_HASH = '0'.repeat(64)

/** sha256 over the previous hash and every field, in a fixed order: editing any field or row breaks the chain. */
export function chainHash(prevHash: string, seq: number, event: AuditEvent): string {
  const fields = [
    prevHash,
    seq,
    event.timeMs,
    event.org,
    event.actor,
    event.tokenName ?? null,
    event.action,
    event.method,
    event.resource,
    event.result,
    event.httpStatus,
    event.sourceIp,
    event.userAgent,
    event.description,
  ]
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex')
}
