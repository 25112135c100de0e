import type { UserPrincipal } from './principal.js'

/**
 * The one plug-in point for authentication: given the credential of `Authorization: token <credential>`, answer
 * who is calling. `undefined` means "not a credential I recognise" (the next authenticator may); a definite
 * rejection with a reason the caller should see (expired, wrong audience) throws UnauthenticatedError.
 */
export interface Authenticator {
  authenticate(credential: string): Promise<UserPrincipal | undefined>
}

/** Tries each authenticator in order; the first that recognises the credential decides. */
export function firstOf(...authenticators: Authenticator[]): Authenticator {
  return {
    async authenticate(credential) {
      for (const authenticator of authenticators) {
        const principal = await authenticator.authenticate(credential)
        if (principal) return principal
      }
      return undefined
    },
  }
}

/** Who has admin rights outside single-tenant mode (until RBAC decides it): named users and group members. */
export interface AdminPolicy {
  isAdmin(login: string, groups: readonly string[]): boolean
}

export function adminPolicy(config: { adminUsers: string[]; adminGroups: string[] }): AdminPolicy {
  const users = new Set(config.adminUsers)
  const groups = new Set(config.adminGroups)
  return { isAdmin: (login, memberOf) => users.has(login) || memberOf.some((g) => groups.has(g)) }
}

export const everyoneIsAdmin: AdminPolicy = { isAdmin: () => true }
