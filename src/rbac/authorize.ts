import type { Principal, UserPrincipal } from '../identity/principal.js'
import { authorizeEnvironment } from './environment-policy.js'
import {
  LEVELS,
  type Level,
  levelRank,
  type Permission,
  type Resource,
  requiredLevel,
  resourcePath,
} from './permission.js'
import type { RbacPolicy } from './rbac-config.js'

export type Decision = { allow: true } | { allow: false; reason: string }

const ALLOW: Decision = { allow: true }

/** The level `pulumi stack init --teams` gives the named teams on the new stack. */
export const TEAM_GRANT: Level = 'write'

/**
 * The single access decision: may `principal` do what `permission` names on `resource`? Pure: the policy is
 * passed in (undefined = no -rbac-config: every signed-in user may use every stack, admin routes need an admin).
 * Called by the HTTP shell before each handler, and usable by anything else that must decide the same way.
 */
export function authorize(
  policy: RbacPolicy | undefined,
  principal: Principal | undefined,
  permission: Permission,
  resource: Resource = {},
): Decision {
  if (permission === 'public') return ALLOW
  if (!principal) return deny('not authenticated')
  // An update token is scoped to its update by authentication; it may do nothing else.
  if (principal.kind === 'update-lease') {
    return permission === 'update' ? ALLOW : deny('an update token is valid only for its own update')
  }
  if (permission === 'update') return deny('this endpoint requires the update token of a running update')
  if (permission === 'authenticated' || principal.admin) return ALLOW
  if (permission.startsWith('env:'))
    return policy ? authorizeEnvironment(policy, principal, permission, resource) : ALLOW
  const need = requiredLevel(permission) as Level
  if (!policy) {
    return need === 'admin' && permission === 'org:admin' ? deny('requires an administrator') : ALLOW
  }
  const scoped = permission.startsWith('stack:')
  const have = scoped ? stackLevel(policy, principal, resource) : orgLevel(policy, principal)
  if (levelRank(have) >= levelRank(need)) return ALLOW
  const where = scoped ? resourcePath(resource) : (resource.org ?? 'the organization')
  return deny(`insufficient permissions: require ${need} on ${where}, have ${have}`)
}

/** The organization-wide level: defaultPermission and group roles. Stack patterns never count here. */
export function orgLevel(policy: RbacPolicy, principal: UserPrincipal): Level {
  if (principal.admin) return 'admin'
  let rank = levelRank(policy.defaultPermission)
  let cap: number = LEVELS.length
  for (const role of policy.groupRoles) {
    if (!isMember(principal, role.group)) continue
    if (role.effect === 'deny') cap = Math.min(cap, levelRank(role.permission))
    else rank = Math.max(rank, levelRank(role.permission))
  }
  return LEVELS[Math.max(0, Math.min(rank, cap - 1))] as Level
}

/**
 * The level on one stack: the highest grant (default, group roles, matching stack policies, teams the stack was
 * created for), then lowered below the lowest matching deny — a deny of `write` leaves at most `read`, whatever
 * granted more.
 */
export function stackLevel(policy: RbacPolicy, principal: UserPrincipal, resource: Resource): Level {
  if (principal.admin) return 'admin'
  const path = resourcePath(resource)
  let rank = levelRank(policy.defaultPermission)
  let cap: number = LEVELS.length
  const apply = (permission: Level, effect: 'allow' | 'deny') => {
    if (effect === 'deny') cap = Math.min(cap, levelRank(permission))
    else rank = Math.max(rank, levelRank(permission))
  }
  for (const role of policy.groupRoles)
    if (isMember(principal, role.group)) apply(role.permission, role.effect)
  // A stack path always has three non-empty segments, so no pattern matches an organization-level check.
  if (resource.org && resource.project && resource.stack) {
    for (const rule of policy.stackPolicies) {
      if (isMember(principal, rule.group) && rule.matches.test(path)) apply(rule.permission, rule.effect)
    }
  }
  for (const team of resource.teams ?? []) if (isMember(principal, team)) apply(TEAM_GRANT, 'allow')
  return LEVELS[Math.max(0, Math.min(rank, cap - 1))] as Level
}

export function isMember(principal: UserPrincipal, group: string): boolean {
  return principal.groups.includes(group)
}

function deny(reason: string): Decision {
  return { allow: false, reason }
}
