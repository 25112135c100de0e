import type { Kysely } from 'kysely'

// The audit log: one row per audited request or security event, chained by hash (each row carries the hash of the
// previous one, so an edited or deleted row breaks `pulumi-backend audit verify`). `seq` is assigned by the
// writer inside its transaction (max + 1), the same on SQLite and PostgreSQL. Portable DDL only.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_events')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('time_ms', 'bigint', (c) => c.notNull())
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('token_name', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('http_status', 'integer', (c) => c.notNull())
    .addColumn('source_ip', 'text', (c) => c.notNull())
    .addColumn('user_agent', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('audit_events_org_time')
    .on('audit_events')
    .columns(['org', 'time_ms'])
    .execute()
  await db.schema.createIndex('audit_events_time').on('audit_events').column('time_ms').execute()
}
