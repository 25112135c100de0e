import { hashToken, sameHash } from '../lib/tokens.js'
import type { Authenticator } from './authenticator.js'
import type { UserPrincipal } from './principal.js'

/** Single-tenant mode's shared token (-single-tenant-token): compared by digest in constant time, never stored. */
export function staticTokenAuthenticator(token: string, user: string): Authenticator {
  const expected = hashToken(token)
  const principal: UserPrincipal = {
    kind: 'user',
    login: user,
    displayName: user,
    groups: [],
    method: 'static-token',
    tokenId: undefined,
    tokenName: undefined,
    organization: undefined,
    admin: true,
  }
  return {
    async authenticate(credential) {
      return sameHash(hashToken(credential), expected) ? principal : undefined
    },
  }
}
