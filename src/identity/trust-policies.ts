/**
 * Trust policies for OIDC token exchange (POST /api/oauth/token): which issuers' ID tokens this server accepts
 * and what each may become. Like Pulumi Cloud's OIDC issuers, everything not allowed is denied, and a policy must
 * state at least one claim condition (an issuer such as GitHub Actions signs tokens for every repository).
 */

export type ExchangeTokenType = 'organization' | 'personal'

export interface TrustPolicy {
  name: string
  tokenType: ExchangeTokenType
  /** The user a personal token acts as (the CLI's `--oidc-user`, scope `user:<login>`). */
  userLogin: string | undefined
  /** Groups given to personal tokens. */
  groups: string[]
  /** Claim path (dots for nesting) → expected value; `*` and `?` are wildcards. */
  claims: Record<string, string>
}

export interface TrustedIssuer {
  issuer: string
  /** Expected `aud`; default `urn:pulumi:org:<org>`, what the CLI and pulumi/auth-actions request. */
  audience: string | undefined
  /** Keys; default: discovered from `<issuer>/.well-known/openid-configuration`. */
  jwksUrl: string | undefined
  maxExpirationSeconds: number
  policies: TrustPolicy[]
}

const DEFAULT_MAX_EXPIRATION_SECONDS = 2 * 3600

/** Parses and checks the policy file; throws an Error listing every problem. */
export function parseTrustPolicies(text: string): TrustedIssuer[] {
  const problems: string[] = []
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch {
    throw new Error('the token exchange policy file is not valid JSON')
  }
  const issuers = (document as { issuers?: unknown })?.issuers
  if (!Array.isArray(issuers) || issuers.length === 0) {
    throw new Error('the token exchange policy file needs an "issuers" array with at least one issuer')
  }
  const result = issuers.map((raw, i) => parseIssuer(raw, `issuers[${i}]`, problems))
  if (problems.length > 0)
    throw new Error(`invalid token exchange policy file:\n  - ${problems.join('\n  - ')}`)
  return result
}

function parseIssuer(raw: unknown, at: string, problems: string[]): TrustedIssuer {
  const entry = (raw ?? {}) as Record<string, unknown>
  const issuer = typeof entry.issuer === 'string' ? entry.issuer : ''
  if (!isSecureUrl(issuer)) problems.push(`${at}.issuer must be an https URL (http only on loopback)`)
  const jwksUrl = optionalString(entry.jwksUrl, `${at}.jwksUrl`, problems)
  if (jwksUrl !== undefined && !isSecureUrl(jwksUrl))
    problems.push(`${at}.jwksUrl must be an https URL (http only on loopback)`)
  const max = entry.maxExpiration ?? DEFAULT_MAX_EXPIRATION_SECONDS
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 60)
    problems.push(`${at}.maxExpiration must be a whole number of seconds, at least 60`)
  const policies = Array.isArray(entry.policies) ? entry.policies : []
  if (policies.length === 0) problems.push(`${at}.policies must list at least one policy`)
  return {
    issuer,
    audience: optionalString(entry.audience, `${at}.audience`, problems),
    jwksUrl,
    maxExpirationSeconds: typeof max === 'number' ? max : DEFAULT_MAX_EXPIRATION_SECONDS,
    policies: policies.map((p, j) => parsePolicy(p, `${at}.policies[${j}]`, problems)),
  }
}

function parsePolicy(raw: unknown, at: string, problems: string[]): TrustPolicy {
  const entry = (raw ?? {}) as Record<string, unknown>
  const name = typeof entry.name === 'string' && entry.name !== '' ? entry.name : at
  const tokenType = entry.tokenType
  if (tokenType !== 'organization' && tokenType !== 'personal')
    problems.push(`${at}.tokenType must be "organization" or "personal"`)
  const userLogin = optionalString(entry.userLogin, `${at}.userLogin`, problems)
  if (tokenType === 'personal' && userLogin === undefined)
    problems.push(`${at}.userLogin is required for personal tokens`)
  const claims: Record<string, string> = {}
  const rawClaims = entry.claims
  if (rawClaims && typeof rawClaims === 'object' && !Array.isArray(rawClaims)) {
    for (const [path, value] of Object.entries(rawClaims)) {
      if (typeof value !== 'string') problems.push(`${at}.claims.${path} must be a string`)
      else claims[path] = value
    }
  }
  if (Object.keys(claims).length === 0) {
    problems.push(
      `${at}.claims must state at least one condition (e.g. "repository"), or any token of the issuer would match`,
    )
  }
  const groups = Array.isArray(entry.groups)
    ? entry.groups.filter((g): g is string => typeof g === 'string')
    : []
  return {
    name,
    tokenType: tokenType === 'personal' ? 'personal' : 'organization',
    userLogin,
    groups,
    claims,
  }
}

function optionalString(value: unknown, at: string, problems: string[]): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value === '') {
    problems.push(`${at} must be a non-empty string`)
    return undefined
  }
  return value
}

function isSecureUrl(text: string): boolean {
  try {
    const url = new URL(text)
    if (url.protocol === 'https:') return true
    return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
  } catch {
    return false
  }
}

/** The first policy of the issuer granting the requested token whose every claim condition holds. */
export function matchPolicy(
  issuer: TrustedIssuer,
  claims: Record<string, unknown>,
  requested: { tokenType: ExchangeTokenType; userLogin: string | undefined },
): TrustPolicy | undefined {
  return issuer.policies.find(
    (policy) =>
      policy.tokenType === requested.tokenType &&
      (requested.tokenType !== 'personal' || policy.userLogin === requested.userLogin) &&
      Object.entries(policy.claims).every(([path, pattern]) => {
        const value = claimAt(claims, path)
        return (
          (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') &&
          globMatch(pattern, String(value))
        )
      }),
  )
}

function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (path in claims) return claims[path]
  let current: unknown = claims
  for (const part of path.split('.')) {
    if (!current || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[part]
  }
  return current
}

/** `*` any run of characters, `?` one character; everything else literal. Whole-value match. */
export function globMatch(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.')
  return new RegExp(`^${source}$`, 's').test(value)
}
