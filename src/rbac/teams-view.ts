import type { UserPrincipal } from '../identity/principal.js'
import { isMember, orgLevel } from './authorize.js'
import { LEVELS, type Level } from './permission.js'
import type { RbacPolicy } from './rbac-config.js'
import type { StackTeamGrant } from './stack-team-store.js'

/** Pulumi Cloud's stack permission codes (TeamStackPermission.permission). */
const CLOUD_PERMISSION: Record<Level, number> = { none: 0, read: 101, write: 102, admin: 103 }

export interface TeamView {
  kind: 'pulumi'
  name: string
  displayName: string
  description: string
  /** Only the caller, when a member: group membership lives in the identity provider, not here. */
  members: { name: string; githubLogin: string; avatarUrl: string; role: 'member' }[]
  userRole: 'member' | 'none'
  stacks: { projectName: string; stackName: string; permission: number; permissionSetName: string }[]
}

/**
 * Read-only teams: every group the policy names, and every team a stack of the organization was created for
 * (`--teams`). A caller sees the groups they belong to; organization admins see all (as the Go server's teams
 * view). Pattern entries split the pattern into its `org/project` and stack parts; granted stacks are listed by
 * project and stack name, as Pulumi Cloud lists a team's stacks. Without a policy there are no teams (grants are
 * kept, and count once a policy is configured).
 */
export function listTeams(
  policy: RbacPolicy | undefined,
  caller: UserPrincipal,
  grants: readonly StackTeamGrant[] = [],
): TeamView[] {
  if (!policy) return []
  const seeAll = orgLevel(policy, caller) === 'admin'
  const groups = [
    ...new Set([
      ...[...policy.groupRoles, ...policy.stackPolicies].map((entry) => entry.group),
      ...grants.map((grant) => grant.team),
    ]),
  ].sort()
  return groups
    .filter((group) => seeAll || isMember(caller, group))
    .map((group) => teamView(policy, caller, group, grants))
}

export function findTeam(
  policy: RbacPolicy | undefined,
  caller: UserPrincipal,
  name: string,
  grants: readonly StackTeamGrant[] = [],
): TeamView | undefined {
  return listTeams(policy, caller, grants).find((team) => team.name === name)
}

function teamView(
  policy: RbacPolicy,
  caller: UserPrincipal,
  group: string,
  grants: readonly StackTeamGrant[],
): TeamView {
  const roles = policy.groupRoles.filter((role) => role.group === group)
  const member = isMember(caller, group)
  return {
    kind: 'pulumi',
    name: group,
    displayName: group,
    description: roles
      .map((role) => `${role.effect === 'deny' ? 'denied' : 'granted'} ${role.permission} on every stack`)
      .join('; '),
    members: member ? [{ name: caller.login, githubLogin: caller.login, avatarUrl: '', role: 'member' }] : [],
    userRole: member ? 'member' : 'none',
    stacks: policy.stackPolicies
      .filter((rule) => rule.group === group)
      .map((rule) => {
        const [org, project, stack] = rule.pattern.split('/')
        return {
          projectName: `${org}/${project}`,
          stackName: stack ?? '*',
          permission: rule.effect === 'deny' ? CLOUD_PERMISSION.none : CLOUD_PERMISSION[rule.permission],
          permissionSetName: `${rule.effect === 'deny' ? 'deny' : 'allow'} ${rule.permission}`,
        }
      })
      .concat(
        grants
          .filter((grant) => grant.team === group)
          .map((grant) => ({
            projectName: grant.project,
            stackName: grant.stack,
            permission: CLOUD_PERMISSION[grant.permission],
            permissionSetName: `stack init --teams: ${grant.permission}`,
          })),
      ),
  }
}

/** The permission levels as roles; the default one is marked. */
export function listRoles(policy: RbacPolicy | undefined) {
  const fallback: Level = policy ? policy.defaultPermission : 'admin'
  return LEVELS.filter((level) => level !== 'none' || fallback === 'none').map((level) => ({
    id: level,
    name: level === fallback ? `${level} (default)` : level,
    permission: CLOUD_PERMISSION[level],
    isDefault: level === fallback,
  }))
}
