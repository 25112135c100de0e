import type { Kysely } from 'kysely'

// ESC environments (issue 14). Portable DDL (SQLite and PostgreSQL); binary columns use the dialect's blob type.
export async function up(db: Kysely<unknown>, blobType: 'blob' | 'bytea'): Promise<void> {
  await db.schema
    .createTable('esc_environments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('latest_revision', 'integer', (c) => c.notNull())
    .addColumn('deletion_protected', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('esc_environments_org_project_name', ['org', 'project', 'name'])
    .execute()

  // Definitions as stored: `fn::secret` plaintexts are replaced by ciphertexts before they get here.
  await db.schema
    .createTable('esc_revisions')
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('yaml', 'text', (c) => c.notNull())
    .addColumn('creator_login', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('retracted', 'text')
    .addPrimaryKeyConstraint('esc_revisions_pk', ['environment_id', 'revision'])
    .execute()

  await db.schema
    .createTable('esc_revision_tags')
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('editor_login', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('esc_revision_tags_pk', ['environment_id', 'name'])
    .execute()

  await db.schema
    .createTable('esc_environment_tags')
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('editor_login', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('esc_environment_tags_pk', ['environment_id', 'name'])
    .execute()

  // One data key per organization for `fn::secret` values, wrapped by the master key (like stack keys).
  await db.schema
    .createTable('esc_org_keys')
    .addColumn('org', 'text', (c) => c.primaryKey())
    .addColumn('wrapped_key', blobType, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute()

  // Open sessions hold evaluated values (with plaintext secrets), so the payload is sealed with the org key.
  await db.schema
    .createTable('esc_open_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('environment_id', 'text')
    .addColumn('sealed', blobType, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('esc_open_sessions_expires')
    .on('esc_open_sessions')
    .column('expires_at')
    .execute()
}
