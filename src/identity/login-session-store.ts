import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

/** A login between the redirect to the identity provider and its callback. */
export interface LoginSession {
  /** sha256 hex of the CSRF value (OAuth state and oauth_state cookie). */
  id: string
  oidcNonce: string
  pkceVerifier: string
  /** Set for `pulumi login` (/cli-login): where the token goes back to. */
  cli: { port: number; nonce: string; description: string } | undefined
  createdAt: number
  expiresAt: number
}

export interface LoginSessionStore {
  insert(session: LoginSession): Promise<void>
  /** Removes and returns the session: a second call with the same id finds nothing (single use, any replica). */
  take(id: string, now: number): Promise<LoginSession | undefined>
  deleteExpired(now: number): Promise<void>
}

export class SqlLoginSessionStore implements LoginSessionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(session: LoginSession): Promise<void> {
    await this.db
      .insertInto('login_sessions')
      .values({
        id: session.id,
        oidc_nonce: session.oidcNonce,
        pkce_verifier: session.pkceVerifier,
        cli_port: session.cli?.port ?? null,
        cli_nonce: session.cli?.nonce ?? null,
        cli_description: session.cli?.description ?? null,
        created_at: session.createdAt,
        expires_at: session.expiresAt,
      })
      .execute()
  }

  async take(id: string, now: number): Promise<LoginSession | undefined> {
    // DELETE … RETURNING is atomic on SQLite and PostgreSQL: of two concurrent callbacks only one gets the row.
    const row = await this.db
      .deleteFrom('login_sessions')
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst()
    if (!row || Number(row.expires_at) <= now) return undefined
    return {
      id: row.id,
      oidcNonce: row.oidc_nonce,
      pkceVerifier: row.pkce_verifier,
      cli:
        row.cli_port !== null && row.cli_nonce !== null
          ? { port: Number(row.cli_port), nonce: row.cli_nonce, description: row.cli_description ?? '' }
          : undefined,
      createdAt: Number(row.created_at),
      expiresAt: Number(row.expires_at),
    }
  }

  async deleteExpired(now: number): Promise<void> {
    await this.db.deleteFrom('login_sessions').where('expires_at', '<=', now).execute()
  }
}
