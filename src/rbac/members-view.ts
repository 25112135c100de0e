import type { KnownUser } from '../identity/access-token-store.js'
import type { UserPrincipal } from '../identity/principal.js'
import { orgLevel } from './authorize.js'
import type { RbacPolicy } from './rbac-config.js'

export interface MemberView {
  login: string
  admin: boolean
  firstSeenAt: number
}

/**
 * The members a caller may see, filtered by membership as the teams views are (the Go server's rule): an
 * organization admin sees everyone; anyone else sees themselves and the members of the groups they belong to.
 * A member is an admin by -admin-users/-admin-groups or by an admin group role of the policy.
 */
export function visibleMembers(
  policy: RbacPolicy | undefined,
  caller: UserPrincipal,
  users: readonly KnownUser[],
  isAdmin: (login: string, groups: readonly string[]) => boolean,
): MemberView[] {
  const adminOf = (login: string, groups: readonly string[]) =>
    isAdmin(login, groups) ||
    (policy !== undefined &&
      orgLevel(policy, { ...caller, login, groups: [...groups], admin: false }) === 'admin')
  const seeAll = caller.admin || adminOf(caller.login, caller.groups)
  const mine = new Set(caller.groups)
  const known = users.some((user) => user.login === caller.login)
  const everyone = known ? users : [...users, { login: caller.login, groups: caller.groups, firstSeenAt: 0 }]
  return everyone
    .filter((user) => seeAll || user.login === caller.login || user.groups.some((g) => mine.has(g)))
    .map((user) => ({
      login: user.login,
      admin: adminOf(user.login, user.groups),
      firstSeenAt: user.firstSeenAt,
    }))
}
