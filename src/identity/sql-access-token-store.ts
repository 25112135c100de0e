import type { Kysely, Selectable } from 'kysely'
import type { AccessTokenTable, Database } from '../db/schema.js'
import type { AccessToken, AccessTokenKind, AccessTokenStore, KnownUser } from './access-token-store.js'

export class SqlAccessTokenStore implements AccessTokenStore {
  constructor(private readonly db: Kysely<Database>) {}

  async findByHash(tokenHash: string): Promise<AccessToken | undefined> {
    const row = await this.db
      .selectFrom('access_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst()
    return row && toToken(row)
  }

  async insert(token: AccessToken): Promise<void> {
    await this.db
      .insertInto('access_tokens')
      .values({
        id: token.id,
        token_hash: token.tokenHash,
        kind: token.kind,
        name: token.name,
        description: token.description,
        user_login: token.userLogin,
        org: token.org,
        groups: JSON.stringify(token.groups),
        created_by: token.createdBy,
        created_at: token.createdAt,
        last_used_at: token.lastUsedAt,
        expires_at: token.expiresAt,
        idp_refresh_token: token.idpRefreshToken,
        revalidated_at: token.revalidatedAt,
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

  listPersonal(userLogin: string): Promise<AccessToken[]> {
    return this.#list('personal', 'user_login', userLogin)
  }

  async users(): Promise<KnownUser[]> {
    const rows = await this.db
      .selectFrom('access_tokens')
      .select(['user_login', 'groups', 'created_at'])
      .where('kind', '=', 'personal')
      .orderBy('created_at')
      .execute()
    const users = new Map<string, KnownUser>()
    for (const row of rows) {
      const seen = users.get(row.user_login)
      const groups = JSON.parse(row.groups) as string[]
      if (seen) seen.groups = groups
      else users.set(row.user_login, { login: row.user_login, groups, firstSeenAt: Number(row.created_at) })
    }
    return [...users.values()].sort((a, b) => a.login.localeCompare(b.login))
  }

  listOrganization(org: string): Promise<AccessToken[]> {
    return this.#list('organization', 'org', org)
  }

  async #list(kind: AccessTokenKind, column: 'user_login' | 'org', owner: string): Promise<AccessToken[]> {
    const rows = await this.db
      .selectFrom('access_tokens')
      .selectAll()
      .where('kind', '=', kind)
      .where(column, '=', owner)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    return rows.map(toToken)
  }

  async delete(
    id: string,
    owner: { kind: AccessTokenKind; userLogin?: string; org?: string },
  ): Promise<boolean> {
    let query = this.db.deleteFrom('access_tokens').where('id', '=', id).where('kind', '=', owner.kind)
    if (owner.userLogin !== undefined) query = query.where('user_login', '=', owner.userLogin)
    if (owner.org !== undefined) query = query.where('org', '=', owner.org)
    const result = await query.executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }

  async setIdpRefreshToken(id: string, sealed: string): Promise<void> {
    await this.db
      .updateTable('access_tokens')
      .set({ idp_refresh_token: sealed })
      .where('id', '=', id)
      .execute()
  }

  async claimRevalidation(id: string, previous: number | null, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('access_tokens')
      .set({ revalidated_at: at })
      .where('id', '=', id)
      .where((eb) =>
        previous === null ? eb('revalidated_at', 'is', null) : eb('revalidated_at', '=', previous),
      )
      .executeTakeFirst()
    return Number(result.numUpdatedRows) > 0
  }

  async deleteById(id: string): Promise<void> {
    await this.db.deleteFrom('access_tokens').where('id', '=', id).execute()
  }

  async deleteExpired(now: number): Promise<void> {
    await this.db.deleteFrom('access_tokens').where('expires_at', '<=', now).execute()
  }

  async deletePersonal(userLogin: string): Promise<number> {
    const result = await this.db
      .deleteFrom('access_tokens')
      .where('kind', '=', 'personal')
      .where('user_login', '=', userLogin)
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  }
}

function toToken(row: Selectable<AccessTokenTable>): AccessToken {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    kind: row.kind === 'organization' ? 'organization' : 'personal',
    name: row.name,
    description: row.description,
    userLogin: row.user_login,
    org: row.org,
    groups: parseGroups(row.groups),
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    idpRefreshToken: row.idp_refresh_token,
    revalidatedAt: row.revalidated_at === null ? null : Number(row.revalidated_at),
  }
}

function parseGroups(text: string): string[] {
  const parsed: unknown = JSON.parse(text)
  return Array.isArray(parsed) ? parsed.filter((g): g is string => typeof g === 'string') : []
}
