import type { Principal } from '../identity/principal.js'
import { authorize, type Decision } from './authorize.js'
import type { Permission, Resource } from './permission.js'
import type { RbacPolicy } from './rbac-config.js'

/** The outcome the HTTP shell acts on: allowed, forbidden (403), or hidden (404: the caller may not even read). */
export type Verdict = { allow: true } | { allow: false; reason: string; hide: boolean }

/**
 * Access decisions with the current policy (reloaded behind this object). A thin, stateless layer over the pure
 * `authorize`: it adds the "do not leak existence" rule, so a caller who may not read a stack is told it does
 * not exist rather than that it is forbidden.
 */
export class AccessControl {
  constructor(private readonly policy: () => RbacPolicy | undefined) {}

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

  authorize(principal: Principal | undefined, permission: Permission, resource: Resource): Decision {
    return authorize(this.policy(), principal, permission, resource)
  }
}

/** No -rbac-config: every decision under the no-policy rules of `authorize`. */
export const openAccess = new AccessControl(() => undefined)
