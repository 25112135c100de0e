import type { UserPrincipal } from '../identity/principal.js'
import type { AccessControl, Verdict } from '../rbac/access-control.js'
import type { Permission } from '../rbac/permission.js'
import type { StackRef } from '../stacks/stack.js'

/** What a console page or action needs, named like the API's permissions. */
export type ConsoleAction =
  | 'stack:read'
  | 'stack:write'
  | 'stack:reveal-secrets'
  | 'update:cancel'
  | 'org:admin'

// The API permission of the route doing the same thing: decrypt needs read, cancel needs write (route table);
// organization tokens and the audit log need org:admin (token-routes.ts, audit-routes.ts).
const API_PERMISSION: Record<ConsoleAction, Permission> = {
  'stack:read': 'stack:read',
  'stack:write': 'stack:write',
  'stack:reveal-secrets': 'stack:read',
  'update:cancel': 'stack:write',
  'org:admin': 'org:admin',
}

/** The console's one authorization point: the same RBAC decision as the API routes. */
export async function authorizeConsole(
  access: AccessControl,
  user: UserPrincipal,
  action: ConsoleAction,
  target?: StackRef | { org: string },
): Promise<boolean> {
  return (await consoleVerdict(access, user, action, target)).allow
}

/**
 * The decision with the API's "do not leak existence" flag: a stack the caller may not read is not found. Async
 * like the API's (access-hooks.ts): a stack's `stack init --teams` grants count here too.
 */
export async function consoleVerdict(
  access: AccessControl,
  user: UserPrincipal,
  action: ConsoleAction,
  target?: StackRef | { org: string },
): Promise<Verdict> {
  if (!target) return access.decide(user, 'authenticated', {})
  return access.decideWithTeams(user, API_PERMISSION[action], {
    org: target.org,
    project: 'project' in target ? target.project : undefined,
    stack: 'stack' in target ? target.stack : undefined,
  })
}
