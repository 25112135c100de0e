import type { UserPrincipal } from '../identity/principal.js'
import type { StackRef } from '../stacks/stack.js'

/** What a console page or action needs, named like the API's permissions so the RBAC work can map them 1:1. */
export type ConsoleAction = 'stack:read' | 'stack:write' | 'stack:reveal-secrets' | 'update:cancel'

/**
 * The console's one authorization point. Today every signed-in user may do everything (single-tenant, as the API
 * routes); the RBAC decision function plugs in here so pages and actions follow exactly the API's rules.
 */
export function authorizeConsole(_user: UserPrincipal, _action: ConsoleAction, _stack?: StackRef): boolean {
  return true
}
