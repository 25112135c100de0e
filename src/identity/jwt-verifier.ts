import { createPublicKey, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose'
import { UnauthenticatedError } from '../errors.js'
import type { Clock } from '../lib/clock.js'

/** Where verification keys come from. */
export type JwtKeySource =
  | { kind: 'hmac'; secret: string }
  | { kind: 'pem'; path: string }
  /** Keys fetched from a JWKS URL and refetched when a token names an unknown `kid` (key rotation). */
  | { kind: 'jwks'; url: string }

export interface JwtVerifierOptions {
  keys: JwtKeySource
  issuer: string | undefined
  audience: string | undefined
  leewayMs: number
}

/** Returns the verified claims, or throws UnauthenticatedError with a reason safe to show (no library text). */
export type JwtVerifier = (token: string) => Promise<JWTPayload>

const HMAC = ['HS256', 'HS384', 'HS512']
const RSA = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']
const EC_BY_CURVE: Record<string, string> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' }
const ASYMMETRIC = [...RSA, 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']

/**
 * JWT verification (Go server: internal/auth/jwt.go, plus JWKS and leeway). The accepted algorithms follow from
 * the key: an HMAC secret only verifies HS*, an RSA key only RS/PS*, an EC key only its curve's ES* — so a token
 * signed with the public key as an HMAC secret (algorithm confusion) or `alg: none` is refused. `exp` is required.
 */
export function createJwtVerifier(options: JwtVerifierOptions, clock: Clock): JwtVerifier {
  const { key, algorithms } = resolveKeys(options.keys)
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, key as JWTVerifyGetKey, {
        algorithms,
        ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
        ...(options.audience !== undefined ? { audience: options.audience } : {}),
        clockTolerance: Math.floor(options.leewayMs / 1000),
        requiredClaims: ['exp'],
        currentDate: new Date(clock.now()),
      })
      return payload
    } catch (error) {
      throw new UnauthenticatedError(`Unauthorized: ${reasonOf(error)}`)
    }
  }
}

function resolveKeys(source: JwtKeySource): { key: unknown; algorithms: string[] } {
  switch (source.kind) {
    case 'hmac':
      return { key: new TextEncoder().encode(source.secret), algorithms: HMAC }
    case 'jwks':
      return {
        // A token naming an unknown kid refetches the set (rotation), at most once a second.
        key: createRemoteJWKSet(new URL(source.url), { cooldownDuration: 1000, cacheMaxAge: 600_000 }),
        algorithms: ASYMMETRIC,
      }
    case 'pem': {
      const key = createPublicKey(readFileSync(source.path))
      return { key, algorithms: algorithmsFor(key) }
    }
  }
}

function algorithmsFor(key: KeyObject): string[] {
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') return RSA
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? ''
    const alg = EC_BY_CURVE[curve]
    if (alg) return [alg]
  }
  throw new Error(
    `unsupported public key type ${key.asymmetricKeyType ?? 'unknown'} (use RSA or ECDSA P-256/384/521)`,
  )
}

/** A short, stable reason: never the token, never a library's internal message. */
function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired'
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'the token is not valid yet'
    if (error.claim === 'iat') return 'the token was issued in the future'
    return `the token's "${error.claim}" claim is not accepted`
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return 'the token is signed with an algorithm this server does not accept'
  if (error instanceof errors.JWKSNoMatchingKey) return 'the token is signed with an unknown key'
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is invalid'
  if (
    error instanceof errors.JWKSTimeout ||
    (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC')
  )
    return 'the token signing keys could not be fetched; try again'
  return 'the token is malformed or not a signed JWT'
}
