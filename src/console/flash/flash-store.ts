import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'

/** Pending one-time console messages, by an id derived from the session (see console-flash.ts). */
export interface FlashStore {
  /** Replaces the session's pending message. */
  put(id: string, sealed: string, expiresAt: number, now: number): Promise<void>
  /** Removes and returns it: shown once, on whichever replica the next page lands. */
  take(id: string, now: number): Promise<string | undefined>
}

export class SqlFlashStore implements FlashStore {
  constructor(private readonly db: Kysely<Database>) {}

  async put(id: string, sealed: string, expiresAt: number, now: number): Promise<void> {
    // Messages never fetched (the tab was closed) go with the next one written.
    await this.db.deleteFrom('console_flashes').where('expires_at', '<=', now).execute()
    await this.db
      .insertInto('console_flashes')
      .values({ id, sealed, expires_at: expiresAt })
      .onConflict((oc) => oc.column('id').doUpdateSet({ sealed, expires_at: expiresAt }))
      .execute()
  }

  async take(id: string, now: number): Promise<string | undefined> {
    // DELETE … RETURNING is atomic on SQLite and PostgreSQL: two reloads never both show it.
    const row = await this.db
      .deleteFrom('console_flashes')
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst()
    return row && Number(row.expires_at) > now ? row.sealed : undefined
  }
}
