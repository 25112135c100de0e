import type { Kysely } from 'kysely'

// Webhooks (hooks, their durable outbox and delivery history) and the resource search index. Portable DDL.
export async function up(db: Kysely<unknown>): Promise<void> {
  // A hook is scoped to an organization (stack_id '') or to one stack (by its immutable id, so renames keep it).
  await db.schema
    .createTable('webhooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('stack_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('payload_url', 'text', (c) => c.notNull())
    /** The shared secret, sealed with the master key (hex); '' when none. */
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('filters', 'text', (c) => c.notNull())
    .addColumn('groups', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('webhooks_scope_name', ['org', 'stack_id', 'name'])
    .execute()

  // The outbox: one row per (event, hook), written in the transaction that produced the event. The request body is
  // rendered once, so retries and redeliveries send the same bytes.
  await db.schema
    .createTable('webhook_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('webhook_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    /** A replica delivering this row holds it until then; another may take it over afterwards. */
    .addColumn('claimed_until', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('webhook_events_due')
    .on('webhook_events')
    .columns(['state', 'next_attempt_at'])
    .execute()
  await db.schema
    .createIndex('webhook_events_hook')
    .on('webhook_events')
    .columns(['webhook_id', 'created_at'])
    .execute()

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('webhook_id', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('request_url', 'text', (c) => c.notNull())
    .addColumn('request_headers', 'text', (c) => c.notNull())
    .addColumn('response_code', 'integer', (c) => c.notNull())
    .addColumn('response_headers', 'text', (c) => c.notNull())
    .addColumn('response_body', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('webhook_deliveries_hook')
    .on('webhook_deliveries')
    .columns(['webhook_id', 'sent_at'])
    .execute()

  // One row per resource of every stack's latest state, rewritten at each new state version.
  await db.schema
    .createTable('search_resources')
    .addColumn('stack_id', 'text', (c) => c.notNull())
    .addColumn('urn', 'text', (c) => c.notNull())
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('stack', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('package', 'text', (c) => c.notNull())
    .addColumn('module', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('custom', 'integer', (c) => c.notNull())
    .addColumn('protected', 'integer', (c) => c.notNull())
    .addColumn('parent_urn', 'text', (c) => c.notNull())
    .addColumn('provider_urn', 'text', (c) => c.notNull())
    .addColumn('dependencies', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('search_resources_pk', ['stack_id', 'urn'])
    .execute()
  // The default order (urn) and the common filters of an organization's search.
  await db.schema
    .createIndex('search_resources_org_urn')
    .on('search_resources')
    .columns(['org', 'urn'])
    .execute()
  await db.schema
    .createIndex('search_resources_org_package')
    .on('search_resources')
    .columns(['org', 'package'])
    .execute()
  await db.schema
    .createIndex('search_resources_org_stack')
    .on('search_resources')
    .columns(['org', 'stack'])
    .execute()
  await db.schema
    .createIndex('search_resources_org_type')
    .on('search_resources')
    .columns(['org', 'type'])
    .execute()
  await db.schema
    .createIndex('search_resources_org_name')
    .on('search_resources')
    .columns(['org', 'name'])
    .execute()
  await db.schema
    .createIndex('search_resources_org_modified')
    .on('search_resources')
    .columns(['org', 'modified_at'])
    .execute()
}
