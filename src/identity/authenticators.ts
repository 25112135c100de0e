import type { AuthConfig } from '../config/load-config.js'
import type { Clock } from '../lib/clock.js'
import type { AccessTokenService } from './access-token-service.js'
import {
  type AdminPolicy,
  type Authenticator,
  adminPolicy,
  everyoneIsAdmin,
  firstOf,
} from './authenticator.js'
import { jwtAuthenticator } from './jwt-authenticator.js'
import { createJwtVerifier } from './jwt-verifier.js'
import { staticTokenAuthenticator } from './static-token-authenticator.js'

/** Who may administer tokens: the single tenant's only user, or the configured admins. */
export function adminPolicyFor(auth: AuthConfig): AdminPolicy {
  return auth.mode === 'single-tenant' ? everyoneIsAdmin : adminPolicy(auth)
}

/**
 * The authenticator of the configured mode. Stored access tokens (personal, organization, login and exchange
 * tokens) work in every mode; single-tenant adds the shared token, jwt adds the issuer's JWTs. google and oidc
 * users get their tokens from the login flows.
 */
export function authenticatorFor(
  auth: AuthConfig,
  deps: { tokens: AccessTokenService; user: string; clock: Clock; admins: AdminPolicy },
): Authenticator {
  switch (auth.mode) {
    case 'single-tenant':
      return auth.token === undefined
        ? deps.tokens
        : firstOf(staticTokenAuthenticator(auth.token, deps.user), deps.tokens)
    case 'jwt': {
      const verify = createJwtVerifier(
        { keys: auth.keys, issuer: auth.issuer, audience: auth.audience, leewayMs: auth.leewayMs },
        deps.clock,
      )
      return firstOf(
        jwtAuthenticator(verify, { username: auth.usernameClaim, groups: auth.groupsClaim }, deps.admins),
        deps.tokens,
      )
    }
    case 'oidc':
    case 'google':
      return deps.tokens
  }
}
