import { readFile } from 'node:fs/promises'
import type { Logger } from 'pino'
import type { Config } from '../config/load-config.js'
import type { Store } from '../db/store.js'
import type { Clock } from '../lib/clock.js'
import type { MasterKey } from '../secrets/master-key.js'
import { AccessTokenService } from './access-token-service.js'
import type { Authenticator } from './authenticator.js'
import { adminPolicyFor, authenticatorFor, oidcLoginConfigFor } from './authenticators.js'
import {
  GOOGLE_ENDPOINTS,
  GoogleDirectoryGroups,
  type GoogleEndpoints,
  GroupsCache,
  workspaceAccessFor,
} from './google-workspace.js'
import { IdentityService } from './identity-service.js'
import { OidcLogin, type RefreshTokenSealer } from './oidc-login.js'
import { RefreshRevalidator } from './refresh-revalidator.js'
import { TokenExchangeService } from './token-exchange.js'
import { parseTrustPolicies } from './trust-policies.js'
import { withWorkspaceGroups } from './workspace-groups-authenticator.js'

/** Thrown for a configuration the operator must fix (createApp turns it into its StartupError). */
export class IdentityStartupError extends Error {
  override name = 'IdentityStartupError'
}

/** Everything identity/ contributes to the app, built from the auth configuration. */
export async function composeIdentity(
  config: Config,
  deps: {
    store: Store
    clock: Clock
    masterKey: MasterKey
    logger: Logger
    google?: Partial<GoogleEndpoints>
  },
) {
  const { store, clock } = deps
  const auth = config.auth
  const admins = adminPolicyFor(auth)
  const tokens = new AccessTokenService({
    tokens: store.accessTokens,
    clock,
    admins,
    atomically: (work) => store.transaction((tx) => work(tx.accessTokens)),
  })
  const identity = new IdentityService({
    tokens,
    config: {
      user: config.user,
      org: config.org,
      hasStaticToken: auth.mode !== 'single-tenant' || auth.token !== undefined,
    },
  })
  const sealer = refreshTokenSealer(deps.masterKey)

  const google = { ...GOOGLE_ENDPOINTS, ...deps.google }
  const provider = oidcLoginConfigFor(auth, google.accountsIssuer)
  const oidcLogin =
    provider &&
    new OidcLogin(provider.config, {
      tokens,
      tokenStore: store.accessTokens,
      sessions: store.loginSessions,
      clock,
      sealer,
    })
  // Login tokens are re-validated at the provider during their life (oidc and google modes).
  const storedTokens: Authenticator = oidcLogin
    ? new RefreshRevalidator({
        tokens,
        store: store.accessTokens,
        provider: oidcLogin,
        open: sealer.open,
        seal: sealer.seal,
        tokenTtlMs: auth.tokenTtlMs,
        clock,
        logger: deps.logger,
      })
    : tokens
  const access = auth.mode === 'google' ? workspaceAccessFor(auth) : undefined
  const groupsCache =
    auth.mode === 'google' && access
      ? new GroupsCache(
          new GoogleDirectoryGroups(access, { transitive: auth.transitiveGroups, endpoints: google, clock }),
          {
            ttlMs: auth.groupsCacheTtlMs,
            clock,
          },
        )
      : undefined
  const withGroups = groupsCache
    ? withWorkspaceGroups(storedTokens, { groups: groupsCache, admins, logger: deps.logger })
    : storedTokens
  const authenticator = authenticatorFor(auth, { tokens: withGroups, user: config.user, clock, admins })

  const exchange =
    auth.tokenExchangePolicies === undefined
      ? undefined
      : new TokenExchangeService({
          issuers: await loadTrustPolicies(auth.tokenExchangePolicies),
          org: config.org,
          tokens,
          clock,
          leewayMs: auth.leewayMs,
        })
  const login = provider &&
    oidcLogin && {
      login: oidcLogin,
      providerName: provider.providerName,
      publicUrl: auth.publicUrl ?? '',
      loginEnabled: provider.config.clientSecret !== undefined && auth.publicUrl !== undefined,
    }
  return { identity, tokens, authenticator, login, exchange, groupsCache, admins }
}

function refreshTokenSealer(masterKey: MasterKey): RefreshTokenSealer {
  const context = (tokenId: string) => `pulumi-backend:idp-refresh-token:${tokenId}`
  return {
    seal: (refreshToken, tokenId) =>
      masterKey.wrap(Buffer.from(refreshToken, 'utf8'), context(tokenId)).toString('base64'),
    open: (sealed, tokenId) =>
      masterKey.unwrap(Buffer.from(sealed, 'base64'), context(tokenId))?.toString('utf8'),
  }
}

async function loadTrustPolicies(path: string) {
  try {
    return parseTrustPolicies(await readFile(path, 'utf8'))
  } catch (error) {
    throw new IdentityStartupError(`-token-exchange-policies ${path}: ${(error as Error).message}`)
  }
}
