import { randomBytes } from 'node:crypto'
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose'
import * as oidc from 'openid-client'
import { auditScope } from '../audit/audit-scope.js'
import { UnauthenticatedError } from '../errors.js'
import type { Clock } from '../lib/clock.js'
import { hashToken, sameHash } from '../lib/tokens.js'
import type { AccessTokenService } from './access-token-service.js'
import type { AccessTokenStore } from './access-token-store.js'
import { parseGroupsClaim } from './groups-claim.js'
import type { LoginSessionStore } from './login-session-store.js'

/** How long a started login may take at the identity provider (Go server: 5 minutes). */
export const LOGIN_SESSION_MS = 5 * 60_000

export interface OidcLoginConfig {
  issuer: string
  clientId: string
  clientSecret: string | undefined
  /** Scopes besides `openid`. */
  scopes: string[]
  /** `<public-url>/login/callback`. */
  redirectUri: string
  usernameClaim: string
  /** undefined: groups do not come from the ID token (google mode resolves them elsewhere). */
  groupsClaim: string | undefined
  /** Lower-case domains; empty = anyone the provider authenticates. */
  allowedDomains: string[]
  /** Where the domain is read from: the e-mail suffix of the username (oidc) or Google's `hd` claim. */
  domainFrom: 'username' | 'hd'
  /** Extra authorization parameters (Google: access_type=offline, prompt=select_account). */
  authorizationParams: Record<string, string>
  leewayMs: number
  tokenTtlMs: number
}

/** A login failure whose message is meant for the person signing in (shown on the HTML page). */
export class LoginError extends Error {
  override name = 'LoginError'
}

/** Seals IdP refresh tokens at rest (master key, bound to the access token's id). */
export interface RefreshTokenSealer {
  seal(refreshToken: string, tokenId: string): string
  open(sealed: string, tokenId: string): string | undefined
}

/** The provider said no (invalid_grant, a bad ID token, a user no longer allowed): the login is over. */
export class RevalidationRejected extends Error {
  override name = 'RevalidationRejected'
}

export interface CliLoginRequest {
  port: number
  nonce: string
  description: string
}

export interface LoginResult {
  user: string
  token: string
  expiresAt: number
  cli: CliLoginRequest | undefined
}

/**
 * Browser and CLI login against an OpenID Connect provider (Go server: internal/api/login.go), with
 * `openid-client`: authorization code flow with PKCE (S256), CSRF state and nonce. The pending login lives in
 * the database (LoginSessionStore), so the callback may land on any replica or after a restart, and it is
 * consumed atomically (single use). The resulting backend token is an ordinary access token with the login TTL.
 */
export class OidcLogin {
  #configuration: Promise<oidc.Configuration> | undefined

  constructor(
    private readonly config: OidcLoginConfig,
    private readonly deps: {
      tokens: AccessTokenService
      tokenStore: AccessTokenStore
      sessions: LoginSessionStore
      clock: Clock
      sealer: RefreshTokenSealer
    },
  ) {}

  /** Starts a login: returns the IdP URL to send the browser to and the CSRF value for the oauth_state cookie. */
  async begin(cli: CliLoginRequest | undefined): Promise<{ authorizationUrl: string; csrf: string }> {
    const configuration = await this.#discover()
    const csrf = randomBytes(32).toString('hex')
    const nonce = oidc.randomNonce()
    const verifier = oidc.randomPKCECodeVerifier()
    const now = this.deps.clock.now()
    await this.deps.sessions.deleteExpired(now)
    await this.deps.sessions.insert({
      id: hashToken(csrf),
      oidcNonce: nonce,
      pkceVerifier: verifier,
      cli,
      createdAt: now,
      expiresAt: now + LOGIN_SESSION_MS,
    })
    const url = oidc.buildAuthorizationUrl(configuration, {
      ...this.config.authorizationParams,
      redirect_uri: this.config.redirectUri,
      scope: ['openid', ...this.config.scopes].join(' '),
      state: csrf,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    })
    return { authorizationUrl: url.href, csrf }
  }

  /**
   * Completes a login from the provider's redirect. `query` is the callback's query string; `cookieState` the
   * oauth_state cookie, which must equal the returned state (the browser that started the login finishes it).
   */
  async complete(query: URLSearchParams, cookieState: string | undefined): Promise<LoginResult> {
    const providerError = query.get('error')
    if (providerError !== null) {
      throw new LoginError(`the identity provider refused the sign-in (${providerError.slice(0, 100)})`)
    }
    const state = query.get('state') ?? ''
    if (state === '' || cookieState === undefined || !sameHash(hashToken(state), hashToken(cookieState))) {
      throw new LoginError('this sign-in was not started in this browser, or its cookie expired; start again')
    }
    // Consuming the one-time login state is housekeeping, not the audited change (the login token is): it runs
    // outside the request's audit scope, so the event commits with the token, or as a failure if none is minted.
    const session = await auditScope.exit(() =>
      this.deps.sessions.take(hashToken(state), this.deps.clock.now()),
    )
    if (!session) throw new LoginError('this sign-in expired or was already used; start again')
    if (!query.get('code')) throw new LoginError('the identity provider sent no authorization code')

    const configuration = await this.#discover()
    const callbackUrl = new URL(this.config.redirectUri)
    callbackUrl.search = query.toString()
    let claims: Record<string, unknown>
    let refreshToken: string | undefined
    try {
      const response = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: session.pkceVerifier,
        expectedState: state,
        expectedNonce: session.oidcNonce,
        idTokenExpected: true,
      })
      claims = response.claims() ?? {}
      refreshToken = response.refresh_token
    } catch (error) {
      throw new LoginError(`the identity provider did not confirm the sign-in (${describe(error)})`)
    }
    const identity = this.identityOf(claims)
    const expiresAt = this.deps.clock.now() + this.config.tokenTtlMs
    const minted = await this.deps.tokens.mint({
      kind: 'personal',
      userLogin: identity.login,
      description: session.cli ? session.cli.description || 'cli-login' : 'browser-login',
      groups: identity.groups,
      createdBy: identity.login,
      expiresAt,
    })
    // Kept (sealed) to re-validate the user at the provider during the token's life (RefreshRevalidator).
    if (refreshToken) {
      await this.deps.tokenStore.setIdpRefreshToken(minted.id, this.deps.sealer.seal(refreshToken, minted.id))
    }
    return { user: identity.login, token: minted.token, expiresAt, cli: session.cli }
  }

  /**
   * The Go server's POST /api/auth/token-exchange: an ID token issued to this client by the login provider
   * (e.g. from `gcloud auth print-identity-token`) buys a backend token with the login TTL.
   */
  async exchangeIdToken(idToken: string): Promise<{ user: string; token: string; expiresAt: number }> {
    const configuration = await this.#discover()
    const metadata = configuration.serverMetadata()
    if (!metadata.jwks_uri)
      throw new UnauthenticatedError('Unauthorized: the identity provider publishes no keys')
    this.#jwks ??= createRemoteJWKSet(new URL(metadata.jwks_uri))
    let claims: Record<string, unknown>
    try {
      const verified = await jwtVerify(idToken, this.#jwks, {
        issuer: metadata.issuer,
        audience: this.config.clientId,
        requiredClaims: ['exp'],
        clockTolerance: Math.floor(this.config.leewayMs / 1000),
        currentDate: new Date(this.deps.clock.now()),
      })
      claims = verified.payload
    } catch (error) {
      const reason =
        error instanceof joseErrors.JWTExpired ? 'the ID token has expired' : 'the ID token is not valid'
      throw new UnauthenticatedError(`Unauthorized: ${reason}`)
    }
    let identity: { login: string; groups: string[] }
    try {
      identity = this.identityOf(claims)
    } catch (error) {
      throw new UnauthenticatedError(`Unauthorized: ${(error as Error).message}`)
    }
    const expiresAt = this.deps.clock.now() + this.config.tokenTtlMs
    const minted = await this.deps.tokens.mint({
      kind: 'personal',
      userLogin: identity.login,
      description: 'oidc-token-exchange',
      groups: identity.groups,
      createdBy: identity.login,
      expiresAt,
    })
    return { user: identity.login, token: minted.token, expiresAt }
  }

  #jwks: ReturnType<typeof createRemoteJWKSet> | undefined

  /**
   * Asks the provider whether the user is still signed in: a refresh grant that must return a valid ID token for
   * the same user, still allowed here. Returns the refresh token to keep (providers may rotate it). Throws
   * RevalidationRejected when the provider refuses; other errors (network, 5xx) mean "could not tell".
   */
  async refresh(refreshToken: string, expectedLogin: string): Promise<string> {
    const configuration = await this.#discover()
    let response: Awaited<ReturnType<typeof oidc.refreshTokenGrant>>
    try {
      response = await oidc.refreshTokenGrant(configuration, refreshToken)
    } catch (error) {
      if (error instanceof oidc.ResponseBodyError && error.status < 500) {
        throw new RevalidationRejected(`the provider refused the refresh (${describe(error)})`)
      }
      throw error
    }
    const claims = response.claims()
    if (!claims) throw new RevalidationRejected('the provider returned no ID token on refresh')
    let login: string
    try {
      login = this.identityOf(claims).login
    } catch (error) {
      throw new RevalidationRejected((error as Error).message)
    }
    if (login !== expectedLogin) throw new RevalidationRejected('the provider now names a different user')
    return response.refresh_token ?? refreshToken
  }

  /** Who signed in, by the configured claims (Go server: internal/auth/oidc.go). */
  identityOf(claims: Record<string, unknown>): { login: string; groups: string[] } {
    const login = claims[this.config.usernameClaim]
    if (typeof login !== 'string' || login.trim() === '') {
      throw new LoginError(`the ID token has no "${this.config.usernameClaim}" claim to name the user`)
    }
    if (claims.email_verified === false) throw new LoginError('the e-mail address is not verified')
    if (this.config.allowedDomains.length > 0) {
      const domain =
        this.config.domainFrom === 'hd'
          ? String(claims.hd ?? '').toLowerCase()
          : login.slice(login.lastIndexOf('@') + 1).toLowerCase()
      if (!login.includes('@') && this.config.domainFrom === 'username') {
        throw new LoginError('the user name is not an e-mail address, so its domain cannot be checked')
      }
      if (!this.config.allowedDomains.includes(domain)) {
        throw new LoginError(`the domain "${domain}" is not allowed to sign in here`)
      }
    }
    const groups =
      this.config.groupsClaim === undefined ? [] : parseGroupsClaim(claims[this.config.groupsClaim])
    return { login, groups }
  }

  /** Discovery once, on first use (the server starts even while the provider is down); retried after a failure. */
  #discover(): Promise<oidc.Configuration> {
    this.#configuration ??= discover(this.config).catch((error: unknown) => {
      this.#configuration = undefined
      throw new LoginError(`the identity provider could not be reached (${describe(error)})`)
    })
    return this.#configuration
  }
}

async function discover(config: OidcLoginConfig): Promise<oidc.Configuration> {
  const issuer = new URL(config.issuer)
  // openid-client insists on https; plain http is allowed only to a provider on this machine (development, tests).
  const loopback =
    issuer.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname)
  return oidc.discovery(
    issuer,
    config.clientId,
    { [oidc.clockTolerance]: Math.floor(config.leewayMs / 1000) },
    config.clientSecret === undefined ? oidc.None() : oidc.ClientSecretBasic(config.clientSecret),
    loopback ? { execute: [oidc.allowInsecureRequests] } : undefined,
  )
}

/** An error's code or class, never its full text (which may quote protocol messages). */
function describe(error: unknown): string {
  const e = error as { code?: unknown; error?: unknown; name?: unknown }
  if (typeof e.error === 'string') return e.error.slice(0, 100)
  if (typeof e.code === 'string') return e.code
  return typeof e.name === 'string' ? e.name : 'unknown error'
}
