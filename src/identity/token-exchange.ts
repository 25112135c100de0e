import { decodeJwt } from 'jose'
import { InvalidError, UnauthenticatedError } from '../errors.js'
import type { Clock } from '../lib/clock.js'
import type { AccessTokenService } from './access-token-service.js'
import { createJwtVerifier, type JwtVerifier } from './jwt-verifier.js'
import { type ExchangeTokenType, matchPolicy, type TrustedIssuer } from './trust-policies.js'

// The request `pulumi login --oidc-token … --oidc-org …` sends (client.go :: ExchangeOidcToken), RFC 8693.
const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const SUBJECT_TOKEN_TYPES = new Set([
  'urn:ietf:params:oauth:token-type:id_token',
  'urn:ietf:params:oauth:token-type:jwt',
])
const TOKEN_TYPE_PREFIX = 'urn:pulumi:token-type:access_token:'
const AUDIENCE_PREFIX = 'urn:pulumi:org:'
const DEFAULT_EXPIRATION_SECONDS = 2 * 3600

/** apitype.TokenExchangeGrantResponse. */
export interface TokenExchangeGrant {
  access_token: string
  issued_token_type: string
  token_type: 'token'
  expires_in: number
  scope: string
}

/**
 * CI without long-lived secrets: an ID token from a trusted issuer (GitHub Actions, GitLab, any OIDC issuer) is
 * exchanged for a short-lived access token when one of that issuer's trust policies matches its claims.
 */
export class TokenExchangeService {
  readonly #verifiers = new Map<string, Promise<JwtVerifier>>()

  constructor(
    private readonly deps: {
      issuers: TrustedIssuer[]
      org: string
      tokens: AccessTokenService
      clock: Clock
      leewayMs: number
    },
  ) {}

  async exchange(form: Record<string, string>): Promise<TokenExchangeGrant> {
    if (form.grant_type !== GRANT_TYPE) {
      throw new InvalidError(`Bad Request: unsupported grant_type; this server supports ${GRANT_TYPE}`)
    }
    if (!SUBJECT_TOKEN_TYPES.has(form.subject_token_type ?? '')) {
      throw new InvalidError(
        'Bad Request: subject_token_type must be urn:ietf:params:oauth:token-type:id_token',
      )
    }
    const org = (form.audience ?? '').startsWith(AUDIENCE_PREFIX)
      ? form.audience?.slice(AUDIENCE_PREFIX.length)
      : ''
    if (org !== this.deps.org) {
      throw new InvalidError(`Bad Request: audience must be ${AUDIENCE_PREFIX}${this.deps.org}`)
    }
    const requested = this.#requested(form.requested_token_type ?? '', form.scope ?? '')
    const expiration = this.#expiration(form.expiration)
    const subjectToken = form.subject_token ?? ''
    if (subjectToken === '') throw new InvalidError('Bad Request: subject_token is required')

    let unverifiedIssuer: unknown
    try {
      unverifiedIssuer = decodeJwt(subjectToken).iss
    } catch {
      throw new InvalidError('Bad Request: subject_token is not a JWT')
    }
    // The issuer named inside the token only selects which keys to verify it with.
    const issuer = this.deps.issuers.find((i) => i.issuer === unverifiedIssuer)
    if (!issuer)
      throw new UnauthenticatedError('Unauthorized: the token issuer is not trusted by this server')
    const claims = await (await this.#verifier(issuer))(subjectToken)

    const policy = matchPolicy(issuer, claims, requested)
    if (!policy) {
      throw new UnauthenticatedError(
        'Unauthorized: no trust policy allows this token to be exchanged for the requested access',
      )
    }
    const seconds = Math.min(expiration ?? DEFAULT_EXPIRATION_SECONDS, issuer.maxExpirationSeconds)
    const expiresAt = this.deps.clock.now() + seconds * 1000
    const minted =
      policy.tokenType === 'organization'
        ? await this.deps.tokens.mint({
            kind: 'organization',
            userLogin: org,
            org,
            name: policy.name,
            description: 'oidc-token-exchange',
            createdBy: `oidc:${issuer.issuer}`,
            expiresAt,
          })
        : await this.deps.tokens.mint({
            kind: 'personal',
            userLogin: policy.userLogin ?? '',
            description: 'oidc-token-exchange',
            groups: policy.groups,
            createdBy: `oidc:${issuer.issuer}`,
            expiresAt,
          })
    return {
      access_token: minted.token,
      issued_token_type: `${TOKEN_TYPE_PREFIX}${requested.tokenType}`,
      token_type: 'token',
      expires_in: seconds,
      scope: form.scope ?? '',
    }
  }

  #requested(
    tokenType: string,
    scope: string,
  ): { tokenType: ExchangeTokenType; userLogin: string | undefined } {
    const kind = tokenType.startsWith(TOKEN_TYPE_PREFIX) ? tokenType.slice(TOKEN_TYPE_PREFIX.length) : ''
    if (kind === 'organization') {
      if (scope !== '' && scope !== 'admin')
        throw new InvalidError('Bad Request: organization tokens take scope "" or "admin"')
      return { tokenType: 'organization', userLogin: undefined }
    }
    if (kind === 'personal') {
      const login = scope.startsWith('user:') ? scope.slice('user:'.length) : ''
      if (login === '')
        throw new InvalidError('Bad Request: personal tokens need scope user:<login> (--oidc-user)')
      return { tokenType: 'personal', userLogin: login }
    }
    if (kind === 'team' || kind === 'runner') {
      throw new InvalidError(
        `Bad Request: ${kind} tokens are not supported by this server; request an organization or personal token`,
      )
    }
    throw new InvalidError(
      `Bad Request: requested_token_type must be ${TOKEN_TYPE_PREFIX}organization or …:personal`,
    )
  }

  #expiration(text: string | undefined): number | undefined {
    if (text === undefined || text === '' || text === '0') return undefined
    if (!/^[1-9][0-9]{0,9}$/.test(text))
      throw new InvalidError('Bad Request: expiration must be a number of seconds')
    return Number(text)
  }

  #verifier(issuer: TrustedIssuer): Promise<JwtVerifier> {
    let verifier = this.#verifiers.get(issuer.issuer)
    if (!verifier) {
      verifier = jwksUrlOf(issuer).then((url) =>
        createJwtVerifier(
          {
            keys: { kind: 'jwks', url },
            issuer: issuer.issuer,
            audience: issuer.audience ?? `${AUDIENCE_PREFIX}${this.deps.org}`,
            leewayMs: this.deps.leewayMs,
          },
          this.deps.clock,
        ),
      )
      // A failed discovery is retried by the next request rather than cached.
      verifier.catch(() => this.#verifiers.delete(issuer.issuer))
      this.#verifiers.set(issuer.issuer, verifier)
    }
    return verifier
  }
}

async function jwksUrlOf(issuer: TrustedIssuer): Promise<string> {
  if (issuer.jwksUrl) return issuer.jwksUrl
  try {
    const response = await fetch(`${issuer.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, {
      signal: AbortSignal.timeout(10_000),
    })
    const document = (await response.json()) as { jwks_uri?: unknown; issuer?: unknown }
    if (!response.ok || typeof document.jwks_uri !== 'string' || document.issuer !== issuer.issuer)
      throw new Error()
    return document.jwks_uri
  } catch {
    throw new UnauthenticatedError('Unauthorized: the token issuer’s keys could not be fetched; try again')
  }
}
