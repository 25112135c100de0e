import type { AccessTokenService } from './access-token-service.js'

export interface IdentityConfig {
  /** The single tenant's user login and the organization every user belongs to. */
  user: string
  org: string
  /** A shared token (-single-tenant-token) exists: no admin token needs minting on first start. */
  hasStaticToken: boolean
}

/** Who the users are and which organization they belong to; token minting is AccessTokenService's job. */
export class IdentityService {
  constructor(private readonly deps: { tokens: AccessTokenService; config: IdentityConfig }) {}

  get user(): string {
    return this.deps.config.user
  }

  get organizations(): string[] {
    return [this.deps.config.org]
  }

  get defaultOrganization(): string {
    return this.deps.config.org
  }

  isOrganization(org: string): boolean {
    return org === this.deps.config.org
  }

  /** Mints a named personal token for the single tenant's user; only its hash is stored, the token is returned once. */
  async createToken(name: string): Promise<string> {
    const minted = await this.deps.tokens.mint({
      kind: 'personal',
      userLogin: this.deps.config.user,
      name,
      description: name,
    })
    return minted.token
  }

  /**
   * On first start without -single-tenant-token there is no way in: mint an admin token for the operator.
   * Returns the token when one was created (to be printed once), undefined otherwise.
   */
  async ensureAdminToken(countTokens: () => Promise<number>): Promise<string | undefined> {
    if (this.deps.config.hasStaticToken) return undefined
    if ((await countTokens()) > 0) return undefined
    return this.createToken('admin')
  }
}
