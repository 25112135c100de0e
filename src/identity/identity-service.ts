import { randomUUID } from 'node:crypto'
import type { Store } from '../db/store.js'
import type { Clock } from '../lib/clock.js'
import { hashToken, newToken, sameHash } from '../lib/tokens.js'
import type { UserPrincipal } from './principal.js'

export interface IdentityConfig {
  /** The single tenant's user login and organization. */
  user: string
  org: string
  /** Optional shared token from -single-tenant-token (compared by hash, never stored). */
  staticToken: string | undefined
}

/** Single-tenant identity: one user in one organization, reached with the static token or a minted access token. */
export class IdentityService {
  readonly #staticTokenHash: string | undefined

  constructor(private readonly deps: { store: Store; clock: Clock; config: IdentityConfig }) {
    this.#staticTokenHash = deps.config.staticToken ? hashToken(deps.config.staticToken) : undefined
  }

  get user(): string {
    return this.deps.config.user
  }

  get organizations(): string[] {
    return [this.deps.config.org]
  }

  get defaultOrganization(): string {
    return this.deps.config.org
  }

  async authenticate(token: string): Promise<UserPrincipal | undefined> {
    if (token === '') return undefined
    const hash = hashToken(token)
    if (this.#staticTokenHash && sameHash(hash, this.#staticTokenHash)) {
      return { kind: 'user', login: this.deps.config.user, tokenName: undefined }
    }
    const stored = await this.deps.store.accessTokens.findByHash(hash)
    if (!stored) return undefined
    // Last use is recorded at minute granularity: enough for audits, without a write on every request.
    const now = this.deps.clock.now()
    if (stored.lastUsedAt === null || now - stored.lastUsedAt > 60_000) {
      await this.deps.store.accessTokens.touch(stored.id, now)
    }
    return { kind: 'user', login: stored.userLogin, tokenName: undefined }
  }

  /** Mints a new access token; only its hash is stored, the token is returned once. */
  async createToken(name: string): Promise<string> {
    const token = newToken('pul')
    await this.deps.store.accessTokens.insert({
      id: randomUUID(),
      tokenHash: hashToken(token),
      name,
      userLogin: this.deps.config.user,
      createdAt: this.deps.clock.now(),
      lastUsedAt: null,
    })
    return token
  }

  /**
   * On first start without -single-tenant-token there is no way in: mint an admin token for the operator.
   * Returns the token when one was created (to be printed once), undefined otherwise.
   */
  async ensureAdminToken(): Promise<string | undefined> {
    if (this.deps.config.staticToken) return undefined
    if ((await this.deps.store.accessTokens.count()) > 0) return undefined
    return this.createToken('admin')
  }
}
