import { appendFileSync } from 'node:fs'
import type { Logger } from 'pino'
import type { StoredAuditEvent } from './audit-event.js'

/** Where committed audit events are also written, one line each (-audit-log-path). */
export type AuditSink = (event: StoredAuditEvent) => void

/**
 * `stdout`, `stderr` or a file path: JSON lines in the Go server's shape (slog: time, level, msg "Audit Log: …",
 * actor, action, method, resource, http_status, ip_address) plus our result, seq and hash. Empty: the server's
 * own logger.
 */
export function auditSink(path: string, logger: Logger): AuditSink {
  if (path === '') return (event) => logger.info({ audit: true, ...goFields(event) }, goMessage(event))
  const write =
    path === 'stdout'
      ? (line: string) => process.stdout.write(line)
      : path === 'stderr'
        ? (line: string) => process.stderr.write(line)
        : (line: string) => appendFileSync(path, line)
  return (event) => {
    const level = event.result === 'success' ? 'INFO' : 'WARN'
    const line = {
      time: new Date(event.timeMs).toISOString(),
      level,
      msg: goMessage(event),
      ...goFields(event),
    }
    try {
      write(`${JSON.stringify(line)}\n`)
    } catch (error) {
      // The event is safe in the database; a full disk or a closed pipe must not fail the request.
      logger.error({ err: error }, 'audit sink write failed')
    }
  }
}

function goMessage(event: StoredAuditEvent): string {
  if (event.result === 'denied') return 'Audit Log: Access Denied'
  return event.method === '' ? `Audit Log: ${event.action}` : 'Audit Log: API Request'
}

function goFields(event: StoredAuditEvent) {
  return {
    actor: event.actor,
    action: event.action,
    method: event.method,
    resource: event.resource,
    http_status: event.httpStatus,
    ip_address: event.sourceIp,
    user_agent: event.userAgent,
    result: event.result,
    ...(event.description ? { reason: event.description } : {}),
    seq: event.seq,
    hash: event.hash,
  }
}
