import type { AuditLogEvent, ResponseAuditLogs } from '../apitype/audit.js'
import { InvalidError } from '../errors.js'
import type { StoredAuditEvent } from './audit-event.js'
import type { AuditStore } from './audit-store.js'

export const AUDIT_PAGE_SIZE = 100
/** CSV export: at most this many events per call (continue with the token in the last line's header). */
export const AUDIT_EXPORT_LIMIT = 10_000

export interface AuditListParams {
  org: string
  continuationToken?: string | undefined
  /** Unix seconds, inclusive. */
  startTime?: number | undefined
  /** Unix seconds, exclusive. */
  endTime?: number | undefined
  userFilter?: string | undefined
  eventFilter?: string | undefined
}

/** Reads the audit log in Pulumi Cloud's shape: newest first, paged by an opaque continuation token. */
export class AuditQueryService {
  constructor(private readonly store: AuditStore) {}

  async list(
    params: AuditListParams,
    limit = AUDIT_PAGE_SIZE,
  ): Promise<ResponseAuditLogs & { events: StoredAuditEvent[] }> {
    const beforeSeq =
      params.continuationToken === undefined ? undefined : parseToken(params.continuationToken)
    if (params.startTime !== undefined && params.endTime !== undefined && params.endTime < params.startTime) {
      throw new InvalidError('Bad Request: endTime is before startTime')
    }
    const rows = await this.store.query({
      org: params.org,
      startMs: params.startTime === undefined ? undefined : params.startTime * 1000,
      endMs: params.endTime === undefined ? undefined : params.endTime * 1000,
      actor: params.userFilter || undefined,
      action: params.eventFilter || undefined,
      beforeSeq,
      limit: limit + 1,
    })
    const page = rows.slice(0, limit)
    const more = rows.length > limit
    const last = page[page.length - 1]
    return {
      auditLogEvents: page.map(toCloudEvent),
      events: page,
      ...(more && last ? { continuationToken: Buffer.from(`seq:${last.seq}`).toString('base64url') } : {}),
    }
  }
}

function parseToken(token: string): number {
  const match = /^seq:(\d{1,15})$/.exec(Buffer.from(token, 'base64url').toString('utf8'))
  if (!match) throw new InvalidError('Bad Request: invalid continuationToken')
  return Number(match[1])
}

export function toCloudEvent(event: StoredAuditEvent): AuditLogEvent {
  const subject = event.resource ? ` ${event.resource}` : ''
  const reason = event.description ? `: ${event.description}` : ''
  return {
    timestamp: Math.floor(event.timeMs / 1000),
    sourceIP: event.sourceIp,
    event: event.action,
    description: `${event.action}${subject} (${event.result}${event.httpStatus ? `, ${event.httpStatus}` : ''})${reason}`,
    user: { name: event.actor, githubLogin: event.actor, avatarUrl: '' },
    ...(event.tokenName ? { tokenName: event.tokenName } : {}),
    ...(event.httpStatus === 401 ? { authFailure: true } : {}),
  }
}

const CSV_COLUMNS = [
  'Timestamp',
  'Seq',
  'Event',
  'Result',
  'HTTPStatus',
  'User',
  'TokenName',
  'Resource',
  'Method',
  'SourceIP',
  'UserAgent',
  'Description',
  'Hash',
]

/** CSV with a header row (RFC 4180 quoting); time as ISO 8601 UTC. */
export function toCsv(events: readonly StoredAuditEvent[]): string {
  const quote = (value: string | number) => {
    const text = String(value)
    // A leading = + - @ would be run as a formula by spreadsheets: neutralise it.
    const safe = /^[=+\-@]/.test(text) ? `'${text}` : text
    return /[",\r\n]/.test(safe) || safe !== text ? `"${safe.replace(/"/g, '""')}"` : safe
  }
  const lines = [CSV_COLUMNS.join(',')]
  for (const e of events) {
    lines.push(
      [
        new Date(e.timeMs).toISOString(),
        e.seq,
        e.action,
        e.result,
        e.httpStatus,
        e.actor,
        e.tokenName ?? '',
        e.resource,
        e.method,
        e.sourceIp,
        e.userAgent,
        e.description,
        e.hash,
      ]
        .map(quote)
        .join(','),
    )
  }
  return `${lines.join('\r\n')}\r\n`
}
