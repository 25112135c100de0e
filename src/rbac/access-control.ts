import type { Principal } from '../identity/principal.js'
import type { Stack } from '../stacks/stack.js'
import { authorize, type Decision, orgLevel } from './authorize.js'
import type { Permission, Resource } from './permission.js'
import type { RbacPolicy } from './rbac-config.js'
import type { StackTeamStore } from './stack-team-store.js'

/** The outcome the HTTP shell acts on: allowed, forbidden (403), or hidden (404: the caller may not even read). */
export type Verdict = { allow: true } | { allow: false; reason: string; hide: boolean }

/** Where the `--teams` grants of stacks are read from. */
export type TeamGrants = Pick<StackTeamStore, 'teamsOf' | 'teamsOfStacks'>

/**
 * Access decisions with the current policy (reloaded behind this object). A thin layer over the pure `authorize`:
 * it adds the "do not leak existence" rule, so a caller who may not read a stack is told it does not exist rather
 * than that it is forbidden, and it supplies the teams a stack was created for (read only when the decision
 * without them is a refusal: team grants only ever add access, so an allowed request costs no extra query).
 */
export class AccessControl {
  constructor(
    private readonly policy: () => RbacPolicy | undefined,
    private readonly teams?: TeamGrants,
  ) {}

  /** Whether an -rbac-config is in force (listings are filtered only then). */
  get enforced(): boolean {
    return this.policy() !== undefined
  }

  decide(principal: Principal | undefined, permission: Permission, resource: Resource): Verdict {
    const decision = authorize(this.policy(), principal, permission, resource)
    if (decision.allow) return decision
    // Stacks and environments alike: a caller who may not read the thing is told it does not exist.
    const kind = permission.startsWith('stack:') ? 'stack' : permission.startsWith('env:') ? 'env' : undefined
    const read = kind === 'stack' ? 'stack:read' : 'env:read'
    const hide =
      kind !== undefined &&
      permission !== 'stack:create' &&
      permission !== 'env:create' &&
      (permission === read || !authorize(this.policy(), principal, read, resource).allow)
    return { allow: false, reason: decision.reason, hide }
  }

  /** `decide`, with the stack's `--teams` grants looked up when they could change a refusal. */
  async decideWithTeams(
    principal: Principal | undefined,
    permission: Permission,
    resource: Resource,
  ): Promise<Verdict> {
    const verdict = this.decide(principal, permission, resource)
    if (verdict.allow || !this.mayHaveTeamGrant(principal, permission, resource)) return verdict
    const { org, project, stack } = resource as Required<Pick<Resource, 'org' | 'project' | 'stack'>>
    const teams = await this.teams?.teamsOf({ org, project, stack })
    return teams?.length ? this.decide(principal, permission, { ...resource, teams }) : verdict
  }

  /** The stacks of a listing the caller may read, in order (existence of the others does not leak). */
  async readable(principal: Principal | undefined, stacks: readonly Stack[]): Promise<Stack[]> {
    const resource = (stack: Stack, teams?: string[]): Resource => ({
      org: stack.org,
      project: stack.project,
      stack: stack.name,
      teams,
    })
    const refused = stacks.filter((s) => !this.authorize(principal, 'stack:read', resource(s)).allow)
    if (refused.length === 0) return [...stacks]
    const candidates = refused.filter((s) => this.mayHaveTeamGrant(principal, 'stack:read', resource(s)))
    const teams = candidates.length ? await this.teams?.teamsOfStacks(candidates.map((s) => s.id)) : undefined
    const hidden = new Set(
      refused
        .filter((s) => !this.authorize(principal, 'stack:read', resource(s, teams?.get(s.id))).allow)
        .map((s) => s.id),
    )
    return stacks.filter((s) => !hidden.has(s.id))
  }

  /**
   * May the caller grant these teams access to a stack it creates? Only teams it belongs to, unless it is an
   * organization admin: otherwise anyone allowed to create a stack could hand it to any group.
   */
  teamGrant(principal: Principal | undefined, teams: readonly string[]): Decision {
    const policy = this.policy()
    if (!policy || teams.length === 0 || principal?.kind !== 'user') return { allow: true }
    if (orgLevel(policy, principal) === 'admin') return { allow: true }
    const foreign = teams.filter((team) => !principal.groups.includes(team))
    if (foreign.length === 0) return { allow: true }
    return {
      allow: false,
      reason: `only a member of a team (or an organization admin) may grant it a stack; you are not in ${foreign.map((t) => `'${t}'`).join(', ')}`,
    }
  }

  authorize(principal: Principal | undefined, permission: Permission, resource: Resource): Decision {
    return authorize(this.policy(), principal, permission, resource)
  }

  /** Team grants can matter only under a policy, for a user in some group, on one named stack. */
  private mayHaveTeamGrant(principal: Principal | undefined, permission: Permission, resource: Resource) {
    return (
      this.teams !== undefined &&
      this.enforced &&
      permission.startsWith('stack:') &&
      permission !== 'stack:create' &&
      principal?.kind === 'user' &&
      principal.groups.length > 0 &&
      resource.org !== undefined &&
      resource.project !== undefined &&
      resource.stack !== undefined
    )
  }
}

/** No -rbac-config: every decision under the no-policy rules of `authorize`. */
export const openAccess = new AccessControl(() => undefined)
