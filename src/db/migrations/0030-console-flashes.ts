import type { Kysely } from 'kysely'

// The web console's one-time messages (a new token shown once after POST-redirect-GET), kept in the database so
// the redirected GET may land on any replica. The value is sealed with a key only the session cookie can derive.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('console_flashes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sealed', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('console_flashes_expiry').on('console_flashes').column('expires_at').execute()
}
