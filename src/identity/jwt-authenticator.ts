import { UnauthenticatedError } from '../errors.js'
import type { AdminPolicy, Authenticator } from './authenticator.js'
import { parseGroupsClaim } from './groups-claim.js'
import type { JwtVerifier } from './jwt-verifier.js'

/** Shape of a compact JWS: three base64url parts. Anything else is left to the next authenticator. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/

/** jwt mode: the CLI sends a JWT from the organisation's issuer as its access token; nothing is stored. */
export function jwtAuthenticator(
  verify: JwtVerifier,
  claims: { username: string; groups: string },
  admins: AdminPolicy,
): Authenticator {
  return {
    async authenticate(credential) {
      if (!COMPACT_JWS.test(credential)) return undefined
      const payload = await verify(credential)
      const login = payload[claims.username]
      if (typeof login !== 'string' || login.trim() === '') {
        throw new UnauthenticatedError(
          `Unauthorized: the token has no "${claims.username}" claim naming the user`,
        )
      }
      const groups = parseGroupsClaim(payload[claims.groups])
      const name = typeof payload.name === 'string' && payload.name !== '' ? payload.name : login
      return {
        kind: 'user',
        login,
        displayName: name,
        groups,
        method: 'jwt',
        tokenId: undefined,
        tokenName: undefined,
        organization: undefined,
        admin: admins.isAdmin(login, groups),
      }
    },
  }
}
