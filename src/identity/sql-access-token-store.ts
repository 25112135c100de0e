import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { AccessToken, AccessTokenStore } from './access-token-store.js'

export class SqlAccessTokenStore implements AccessTokenStore {
  constructor(private readonly db: Kysely<Database>) {}

  async findByHash(tokenHash: string): Promise<AccessToken | undefined> {
    const row = await this.db
      .selectFrom('access_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst()
    if (!row) return undefined
    return {
      id: row.id,
      tokenHash: row.token_hash,
      name: row.name,
      userLogin: row.user_login,
      createdAt: Number(row.created_at),
      lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    }
  }

  async insert(token: AccessToken): Promise<void> {
    await this.db
      .insertInto('access_tokens')
      .values({
        id: token.id,
        token_hash: token.tokenHash,
        name: token.name,
        user_login: token.userLogin,
        created_at: token.createdAt,
        last_used_at: token.lastUsedAt,
      })
      .execute()
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('access_tokens')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    return Number(row.n)
  }

  async touch(id: string, at: number): Promise<void> {
    await this.db.updateTable('access_tokens').set({ last_used_at: at }).where('id', '=', id).execute()
  }
}
