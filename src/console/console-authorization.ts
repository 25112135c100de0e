import type { UserPrincipal } from '../identity/principal.js'
import type { AccessControl } from '../rbac/access-control.js'
import type { Permission } from '../rbac/permission.js'
import type { StackRef } from '../stacks/stack.js'

/** What a console page or action needs, named like the API's permissions. */
export type ConsoleAction = 'stack:read' | 'stack:write' | 'stack:reveal-secrets' | 'update:cancel'

// The API permission of the route doing the same thing: decrypt needs read, cancel needs write (route table).
const API_PERMISSION: Record<ConsoleAction, Permission> = {
  'stack:read': 'stack:read',
  'stack:write': 'stack:write',
  'stack:reveal-secrets': 'stack:read',
  'update:cancel': 'stack:write',
}

/** The console's one authorization point: the same RBAC decision as the API routes. */
export function authorizeConsole(
  access: AccessControl,
  user: UserPrincipal,
  action: ConsoleAction,
  stack?: StackRef,
): boolean {
  if (!stack) return access.decide(user, 'authenticated', {}).allow
  return access.decide(user, API_PERMISSION[action], {
    org: stack.org,
    project: stack.project,
    stack: stack.stack,
  }).allow
}
