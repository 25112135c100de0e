import type { AuthConfig } from '../config/load-config.js'
import type { Clock } from '../lib/clock.js'
import {
  type AdminPolicy,
  type Authenticator,
  adminPolicy,
  everyoneIsAdmin,
  firstOf,
} from './authenticator.js'
import { jwtAuthenticator } from './jwt-authenticator.js'
import { createJwtVerifier } from './jwt-verifier.js'
import type { OidcLoginConfig } from './oidc-login.js'
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
  deps: { tokens: Authenticator; user: string; clock: Clock; admins: AdminPolicy },
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

/** The login provider of the oidc and google modes (undefined in the others). */
export function oidcLoginConfigFor(
  auth: AuthConfig,
  googleIssuer: string,
): { config: OidcLoginConfig; providerName: string } | undefined {
  const redirectUri = `${auth.publicUrl ?? ''}/login/callback`
  const shared = { redirectUri, leewayMs: auth.leewayMs, tokenTtlMs: auth.tokenTtlMs }
  switch (auth.mode) {
    case 'oidc':
      return {
        providerName: auth.providerName,
        config: {
          ...shared,
          issuer: auth.issuer,
          clientId: auth.clientId,
          clientSecret: auth.clientSecret,
          scopes: auth.scopes,
          usernameClaim: auth.usernameClaim,
          groupsClaim: auth.groupsClaim,
          allowedDomains: auth.allowedDomains,
          domainFrom: 'username',
          // OpenID Connect grants offline_access (a refresh token) only with explicit consent.
          authorizationParams: auth.scopes.includes('offline_access') ? { prompt: 'consent' } : {},
        },
      }
    case 'google':
      return {
        providerName: 'Google',
        config: {
          ...shared,
          issuer: googleIssuer,
          clientId: auth.clientId,
          clientSecret: auth.clientSecret,
          scopes: ['email', 'profile'],
          usernameClaim: 'email',
          // Workspace groups come from the Directory API, not from Google's ID token.
          groupsClaim: undefined,
          allowedDomains: auth.allowedDomains,
          domainFrom: 'hd',
          authorizationParams: { access_type: 'offline', prompt: 'select_account' },
        },
      }
    default:
      return undefined
  }
}
