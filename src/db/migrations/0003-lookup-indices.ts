import { type Kysely, sql } from 'kysely'

// Indices for the lookups that had none (full scans are cheap on a small SQLite file, not on a shared PostgreSQL):
// history pages and `export --version N` by (stack, version), and the compression backlog's uncompressed versions.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('updates_stack_version')
    .on('updates')
    .columns(['stack_id', 'version'])
    .execute()
  // Partial: only the few versions still waiting to be gzipped are indexed.
  await db.schema
    .createIndex('state_versions_uncompressed')
    .on('state_versions')
    .columns(['stack_id', 'version'])
    .where(sql.ref('encoding'), '=', sql.lit('identity'))
    .execute()
}
