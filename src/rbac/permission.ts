/** Permission levels, ordered: each includes the ones before it. */
export const LEVELS = ['none', 'read', 'write', 'admin'] as const
export type Level = (typeof LEVELS)[number]

export function levelRank(level: Level): number {
  return LEVELS.indexOf(level)
}

export function isLevel(value: unknown): value is Level {
  return typeof value === 'string' && (LEVELS as readonly string[]).includes(value)
}

/**
 * What a route needs. Every route declares one (RouteConfig.permission); the HTTP shell asks `authorize` before
 * the handler runs.
 * - `public`: anyone, no credentials;
 * - `authenticated`: any signed-in user (own profile, own tokens, listings filtered per stack);
 * - `update`: the holder of the update's lease (the lease check itself is authentication);
 * - `org:read` / `org:write` / `org:admin`: the organization-wide level (defaultPermission and groupRoles only);
 *   org-owned things that are neither stacks nor environments (org webhooks) use it;
 * - `stack:read|write|admin`: the level on `org/project/stack` from the path;
 * - `stack:create`: write on the stack about to be created (its name comes from the body);
 * - `env:read|open|write|admin`: the level on the ESC environment `org/project/env` from the path
 *   (environment-policy.ts); `env:create`: write on the environment about to be created (named by the body).
 */
export type Permission =
  | 'public'
  | 'authenticated'
  | 'update'
  | 'org:read'
  | 'org:write'
  | 'org:admin'
  | 'stack:read'
  | 'stack:write'
  | 'stack:admin'
  | 'stack:create'
  | 'env:read'
  | 'env:open'
  | 'env:write'
  | 'env:admin'
  | 'env:create'

export const PERMISSIONS: readonly Permission[] = [
  'public',
  'authenticated',
  'update',
  'org:read',
  'org:write',
  'org:admin',
  'stack:read',
  'stack:write',
  'stack:admin',
  'stack:create',
  'env:read',
  'env:open',
  'env:write',
  'env:admin',
  'env:create',
]

/** The level a permission requires, for the org- and stack-scoped ones. */
export function requiredLevel(permission: Permission): Level | undefined {
  switch (permission) {
    case 'org:read':
    case 'stack:read':
      return 'read'
    case 'org:write':
    case 'stack:write':
    case 'stack:create':
      return 'write'
    case 'org:admin':
    case 'stack:admin':
      return 'admin'
    default:
      return undefined
  }
}

/** What a request is about: the path's organization, project and stack, where it names them. */
export interface Resource {
  org?: string | undefined
  project?: string | undefined
  stack?: string | undefined
  /** The ESC environment, for `env:` permissions. */
  environment?: string | undefined
  /** Teams granted access to this stack when it was created (`pulumi stack init --teams`). */
  teams?: readonly string[] | undefined
}

export function resourcePath(resource: Resource): string {
  return [resource.org, resource.project, resource.stack].filter((part) => part !== undefined).join('/')
}
