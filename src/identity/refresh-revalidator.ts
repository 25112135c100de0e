import type { Logger } from 'pino'
import { UnauthenticatedError } from '../errors.js'
import type { Clock } from '../lib/clock.js'
import type { AccessTokenService } from './access-token-service.js'
import type { AccessToken, AccessTokenStore } from './access-token-store.js'
import type { Authenticator } from './authenticator.js'
import type { UserPrincipal } from './principal.js'

/** After a transient failure (provider unreachable), wait this long before asking again from this replica. */
const RETRY_AFTER_FAILURE_MS = 60_000

export interface IdentityProviderSession {
  refresh(refreshToken: string, expectedLogin: string): Promise<string>
}

/**
 * Login tokens of the oidc and google modes outlive nothing at the identity provider ("Dex pattern", Go server
 * §5.3): once half of a token's lifetime has passed since its login or last check, the next request refreshes
 * the stored IdP refresh token. A refusal (user deactivated, consent revoked) deletes the backend token; an
 * unreachable provider only postpones the check (the Go server deleted the token on any error). At most one
 * replica checks a token at a time: the check is claimed in the database.
 */
export class RefreshRevalidator implements Authenticator {
  readonly #failedAt = new Map<string, number>()

  constructor(
    private readonly deps: {
      tokens: AccessTokenService
      store: AccessTokenStore
      provider: IdentityProviderSession
      open: (sealed: string, tokenId: string) => string | undefined
      seal: (refreshToken: string, tokenId: string) => string
      tokenTtlMs: number
      clock: Clock
      logger: Logger
    },
  ) {}

  async authenticate(credential: string): Promise<UserPrincipal | undefined> {
    const token = await this.deps.tokens.lookup(credential)
    if (!token) return undefined
    if (this.#due(token)) await this.#revalidate(token)
    return this.deps.tokens.principalOf(token)
  }

  #due(token: AccessToken): boolean {
    if (token.idpRefreshToken === null) return false
    const now = this.deps.clock.now()
    const failedAt = this.#failedAt.get(token.id)
    if (failedAt !== undefined && now - failedAt < RETRY_AFTER_FAILURE_MS) return false
    return now - (token.revalidatedAt ?? token.createdAt) >= this.deps.tokenTtlMs / 2
  }

  async #revalidate(token: AccessToken): Promise<void> {
    const now = this.deps.clock.now()
    if (!(await this.deps.store.claimRevalidation(token.id, token.revalidatedAt, now))) return
    const refreshToken = this.deps.open(token.idpRefreshToken ?? '', token.id)
    try {
      if (refreshToken === undefined) throw new Error('the sealed refresh token cannot be opened')
      const next = await this.deps.provider.refresh(refreshToken, token.userLogin)
      if (next !== refreshToken)
        await this.deps.store.setIdpRefreshToken(token.id, this.deps.seal(next, token.id))
      this.#failedAt.delete(token.id)
    } catch (error) {
      if ((error as Error).name === 'RevalidationRejected') {
        await this.deps.store.deleteById(token.id)
        this.deps.logger.info(
          { audit: true, actor: token.userLogin, action: 'tokenRevoked', reason: (error as Error).message },
          'audit',
        )
        throw new UnauthenticatedError(
          'Unauthorized: your sign-in at the identity provider has ended; run `pulumi login` again',
        )
      }
      // Could not tell: keep the token, give the claim back, and ask again later.
      this.#failedAt.set(token.id, now)
      await this.deps.store.claimRevalidation(token.id, now, token.revalidatedAt ?? token.createdAt)
      this.deps.logger.warn(
        { tokenId: token.id, error: (error as Error).name },
        'could not re-validate a login at the identity provider; will retry',
      )
    }
  }
}
