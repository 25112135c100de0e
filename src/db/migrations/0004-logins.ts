import type { Kysely } from 'kysely'

// Logins: token kinds, expiry, owner organization and groups on access tokens, and the pending browser/CLI login
// sessions (kept in the database so a login started on one replica or before a restart completes on another).
// Portable DDL only (SQLite and PostgreSQL): one column per ALTER, defaults for the existing rows.
export async function up(db: Kysely<unknown>): Promise<void> {
  const columns: [string, 'text' | 'bigint', string | undefined][] = [
    ['kind', 'text', 'personal'],
    ['description', 'text', ''],
    ['org', 'text', undefined],
    ['groups', 'text', '[]'],
    ['created_by', 'text', undefined],
    ['expires_at', 'bigint', undefined],
    // The identity provider's refresh token, sealed with the master key; when it was last used to re-validate.
    ['idp_refresh_token', 'text', undefined],
    ['revalidated_at', 'bigint', undefined],
  ]
  for (const [name, type, fallback] of columns) {
    await db.schema
      .alterTable('access_tokens')
      .addColumn(name, type, (c) => (fallback === undefined ? c : c.notNull().defaultTo(fallback)))
      .execute()
  }
  await db.schema.createIndex('access_tokens_user').on('access_tokens').column('user_login').execute()
  await db.schema.createIndex('access_tokens_org').on('access_tokens').columns(['org', 'kind']).execute()

  await db.schema
    .createTable('login_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('oidc_nonce', 'text', (c) => c.notNull())
    .addColumn('pkce_verifier', 'text', (c) => c.notNull())
    .addColumn('cli_port', 'integer')
    .addColumn('cli_nonce', 'text')
    .addColumn('cli_description', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('login_sessions_expiry').on('login_sessions').column('expires_at').execute()
}
