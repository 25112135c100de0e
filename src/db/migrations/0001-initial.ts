import type { Kysely } from 'kysely'

// Portable DDL (SQLite and PostgreSQL): blobs are `blob`/`bytea` via the dialect-neutral `blob` name mapped below.
export async function up(db: Kysely<unknown>, blobType: 'blob' | 'bytea'): Promise<void> {
  await db.schema
    .createTable('meta')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('access_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('user_login', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute()

  await db.schema
    .createTable('stacks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('resource_count', 'integer', (c) => c.notNull())
    .addColumn('locked_by_update', 'text')
    .addColumn('last_update_id', 'text')
    .addColumn('last_update_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('stacks_org_project_name', ['org', 'project', 'name'])
    .execute()

  await db.schema
    .createTable('stack_keys')
    .addColumn('stack_id', 'text', (c) => c.primaryKey())
    .addColumn('wrapped_key', blobType, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('state_versions')
    .addColumn('stack_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('deployment', blobType, (c) => c.notNull())
    .addColumn('encoding', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('resource_count', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('state_versions_pk', ['stack_id', 'version'])
    .execute()

  await db.schema
    .createTable('updates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('stack_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('dry_run', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('base_version', 'integer', (c) => c.notNull())
    .addColumn('program', 'text', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('ended_at', 'bigint')
    .addColumn('lease_token_hash', 'text')
    .addColumn('previous_lease_token_hash', 'text')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('journal_version', 'integer', (c) => c.notNull())
    .addColumn('checkpoint_seq', 'integer', (c) => c.notNull())
    .addColumn('resource_changes', 'text')
    .addColumn('resource_count', 'integer')
    .execute()
  await db.schema.createIndex('updates_stack').on('updates').columns(['stack_id', 'created_at']).execute()
  await db.schema.createIndex('updates_lease').on('updates').column('lease_token_hash').execute()
  await db.schema
    .createIndex('updates_previous_lease')
    .on('updates')
    .column('previous_lease_token_hash')
    .execute()
  await db.schema
    .createIndex('updates_running')
    .on('updates')
    .columns(['status', 'lease_expires_at'])
    .execute()

  // The checkpoint uploads of a running update (full or verbatim texts, delta edits), so the working state
  // survives a crash without re-compressing multi-MB texts on every save. Cleared when the update ends.
  await db.schema
    .createTable('checkpoint_log')
    .addColumn('update_id', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('sequence_number', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', blobType, (c) => c.notNull())
    .addPrimaryKeyConstraint('checkpoint_log_pk', ['update_id', 'position'])
    .execute()

  await db.schema
    .createTable('journal_entries')
    .addColumn('update_id', 'text', (c) => c.notNull())
    .addColumn('sequence_id', 'bigint', (c) => c.notNull())
    .addColumn('entry', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('journal_entries_pk', ['update_id', 'sequence_id'])
    .execute()

  await db.schema
    .createTable('engine_events')
    .addColumn('update_id', 'text', (c) => c.notNull())
    .addColumn('sequence', 'bigint', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('engine_events_pk', ['update_id', 'sequence'])
    .execute()
}
