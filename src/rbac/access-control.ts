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
    const hide =
      permission.startsWith('stack:') &&
      permission !== 'stack:read' &&
      permission !== 'stack:create' &&
      !authorize(this.policy(), principal, 'stack:read', resource).allow
    return { allow: false, reason: decision.reason, hide: hide || permission === 'stack:read' }
  }

  authorize(principal: Principal | undefined, permission: Permission, resource: Resource): Decision {
    return authorize(this.policy(), principal, permission, resource)
  }
}

/** No -rbac-config: every decision under the no-policy rules of `authorize`. */
export const openAccess = new AccessControl(() => undefined)
