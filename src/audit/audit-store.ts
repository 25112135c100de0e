import { type Kysely, type Selectable, sql } from 'kysely'
import type { AuditEventTable, Database } from '../db/schema.js'
import { type AuditEvent, chainHash, GENESIS_HASH, type StoredAuditEvent } from './audit-event.js'

export interface AuditQuery {
  org: string
  /** Inclusive, milliseconds. */
  startMs?: number | undefined
  /** Exclusive, milliseconds. */
  endMs?: number | undefined
  actor?: string | undefined
  action?: string | undefined
  /** Only events older than this sequence number (the continuation token). */
  beforeSeq?: number | undefined
  limit: number
}

/** The audit log's persistence port. `append` must run inside the transaction of the change it records. */
export interface AuditStore {
  append(event: AuditEvent): Promise<StoredAuditEvent>
  /** Newest first. */
  query(query: AuditQuery): Promise<StoredAuditEvent[]>
  /** In chain order, from `afterSeq` on, `limit` at a time (verification walks the whole log). */
  scan(afterSeq: number, limit: number): Promise<StoredAuditEvent[]>
  /** Deletes events older than `beforeMs`; answers the hash of the last deleted event (the chain's new anchor). */
  deleteBefore(beforeMs: number): Promise<{ deleted: number; anchor: string | undefined }>
}

/** Arbitrary constant naming the audit chain's tail among PostgreSQL advisory locks. */
const AUDIT_CHAIN_LOCK_KEY = 7_245_003

export class SqlAuditStore implements AuditStore {
  /** `lockChain`: PostgreSQL, where write transactions run side by side (SQLite's BEGIN IMMEDIATE serializes them). */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly lockChain = false,
  ) {}

  async append(event: AuditEvent): Promise<StoredAuditEvent> {
    // Callers hold a write transaction. On PostgreSQL two of them would read the same tail and insert the same
    // sequence number (a 500 for one change): the chain is locked until commit. Appends come last in their
    // transaction, so the lock is held briefly and never waits on another lock.
    if (this.lockChain) await sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK_KEY})`.execute(this.db)
    const last = await this.db
      .selectFrom('audit_events')
      .select(['seq', 'hash'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst()
    const anchor = last
      ? undefined
      : await this.db.selectFrom('meta').select('value').where('key', '=', ANCHOR_KEY).executeTakeFirst()
    const seq = Number(last?.seq ?? anchorSeq(anchor?.value)) + 1
    const prevHash = last?.hash ?? anchorHash(anchor?.value)
    const hash = chainHash(prevHash, seq, event)
    await this.db
      .insertInto('audit_events')
      .values({
        seq,
        time_ms: event.timeMs,
        org: event.org,
        actor: event.actor,
        token_name: event.tokenName ?? null,
        action: event.action,
        method: event.method,
        resource: event.resource,
        result: event.result,
        http_status: event.httpStatus,
        source_ip: event.sourceIp,
        user_agent: event.userAgent,
        description: event.description,
        prev_hash: prevHash,
        hash,
      })
      .execute()
    return { ...event, seq, prevHash, hash }
  }

  async query(q: AuditQuery): Promise<StoredAuditEvent[]> {
    let select = this.db.selectFrom('audit_events').selectAll().where('org', '=', q.org)
    if (q.startMs !== undefined) select = select.where('time_ms', '>=', q.startMs)
    if (q.endMs !== undefined) select = select.where('time_ms', '<', q.endMs)
    if (q.actor !== undefined) select = select.where('actor', '=', q.actor)
    if (q.action !== undefined) select = select.where('action', '=', q.action)
    if (q.beforeSeq !== undefined) select = select.where('seq', '<', q.beforeSeq)
    const rows = await select.orderBy('seq', 'desc').limit(q.limit).execute()
    return rows.map(fromRow)
  }

  async scan(afterSeq: number, limit: number): Promise<StoredAuditEvent[]> {
    const rows = await this.db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '>', afterSeq)
      .orderBy('seq', 'asc')
      .limit(limit)
      .execute()
    return rows.map(fromRow)
  }

  async anchor(): Promise<{ seq: number; hash: string }> {
    const row = await this.db
      .selectFrom('meta')
      .select('value')
      .where('key', '=', ANCHOR_KEY)
      .executeTakeFirst()
    return { seq: anchorSeq(row?.value), hash: anchorHash(row?.value) }
  }

  async deleteBefore(beforeMs: number): Promise<{ deleted: number; anchor: string | undefined }> {
    return this.db.transaction().execute(async (trx) => {
      if (this.lockChain) await sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK_KEY})`.execute(trx)
      const last = await trx
        .selectFrom('audit_events')
        .select(['seq', 'hash'])
        .where('time_ms', '<', beforeMs)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst()
      if (!last) return { deleted: 0, anchor: undefined }
      const result = await trx.deleteFrom('audit_events').where('seq', '<=', last.seq).executeTakeFirst()
      // The first remaining event's prev_hash is vouched for by this anchor, so verification still starts from a
      // known point after old events are pruned.
      const value = `${last.seq}:${last.hash}`
      await trx
        .insertInto('meta')
        .values({ key: ANCHOR_KEY, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute()
      return { deleted: Number(result.numDeletedRows), anchor: last.hash }
    })
  }

  /**
   * PostgreSQL: a transaction-scoped advisory lock, released at commit. Appends run last in their transaction
   * (after every row lock it takes), so holders never wait for anything else while holding it.
   */
}

const ANCHOR_KEY = 'audit_chain_anchor'

function anchorSeq(value: string | undefined): number {
  return value ? Number(value.split(':')[0]) : 0
}
function anchorHash(value: string | undefined): string {
  return value ? (value.split(':')[1] ?? GENESIS_HASH) : GENESIS_HASH
}

function fromRow(row: Selectable<AuditEventTable>): StoredAuditEvent {
  return {
    seq: Number(row.seq),
    timeMs: Number(row.time_ms),
    org: row.org,
    actor: row.actor,
    tokenName: row.token_name ?? undefined,
    action: row.action,
    method: row.method,
    resource: row.resource,
    result: row.result as StoredAuditEvent['result'],
    httpStatus: Number(row.http_status),
    sourceIp: row.source_ip,
    userAgent: row.user_agent,
    description: row.description,
    prevHash: row.prev_hash,
    hash: row.hash,
  }
}
