import type { Node, YAMLMap } from 'yaml'
import type { UserPrincipal } from '../identity/principal.js'
import { compileGlob } from './glob.js'
import type { Level, Permission, Resource } from './permission.js'
import type { RbacPolicy } from './rbac-config.js'

/**
 * Levels on an ESC environment, ordered: each includes the ones before it. `open` sits between read and write
 * (Pulumi Cloud's environment permissions): read shows the definition with secrets as ciphertext, open decrypts.
 */
export const ENV_LEVELS = ['none', 'read', 'open', 'write', 'admin'] as const
export type EnvLevel = (typeof ENV_LEVELS)[number]

export const envRank = (level: EnvLevel): number => ENV_LEVELS.indexOf(level)

/** A grant (or denial) to `group` on the environments whose `org/project/env` matches `pattern`. */
export interface EnvironmentPolicy {
  group: string
  pattern: string
  matches: RegExp
  permission: EnvLevel
  effect: 'allow' | 'deny'
  line: number
}

const KEYS = ['group', 'environmentPattern', 'projectPattern', 'permission', 'effect']

/** What the rbac-config parser lends to parse one list (it knows the file, its lines and its error format). */
export interface EntryParser {
  fail(node: Node | null | undefined, message: string): never
  checkKeys(map: YAMLMap, known: string[]): void
  stringAt(map: YAMLMap, key: string, required: boolean): string | undefined
  effectAt(map: YAMLMap): 'allow' | 'deny'
  lineOf(node: Node): number
}

/**
 * `environmentPolicies`: like stackPolicies, with `environmentPattern` (org/project/env) or `projectPattern`
 * (org/project: all of its environments), and the extra level `open`.
 */
export function parseEnvironmentPolicies(entries: YAMLMap[], p: EntryParser): EnvironmentPolicy[] {
  return entries.map((entry) => {
    p.checkKeys(entry, KEYS)
    const envPattern = p.stringAt(entry, 'environmentPattern', false)
    const projectPattern = p.stringAt(entry, 'projectPattern', false)
    if ((envPattern === undefined) === (projectPattern === undefined)) {
      p.fail(
        entry,
        'give exactly one of "environmentPattern" (org/project/env) or "projectPattern" (org/project)',
      )
    }
    const written = (envPattern ?? projectPattern) as string
    const segments = envPattern !== undefined ? 3 : 2
    if (written.split('/').length !== segments || written.split('/').some((part) => part === '')) {
      p.fail(
        entry,
        `pattern ${JSON.stringify(written)} must have ${segments} non-empty segments separated by "/"`,
      )
    }
    if (written.includes('**'))
      p.fail(entry, `"**" is not supported in ${JSON.stringify(written)}; "*" spans one segment`)
    const pattern = envPattern ?? `${projectPattern}/*`
    let matches: RegExp
    try {
      matches = compileGlob(pattern)
    } catch (error) {
      return p.fail(entry, (error as Error).message)
    }
    const level = entry.get('permission', true) as Node | undefined
    const value = (level as { value?: unknown } | undefined)?.value
    if (level === undefined) p.fail(entry, 'missing "permission"')
    if (typeof value !== 'string' || !(ENV_LEVELS as readonly string[]).includes(value)) {
      p.fail(level, `"permission" must be one of ${ENV_LEVELS.join(', ')} (got ${JSON.stringify(value)})`)
    }
    const policy: EnvironmentPolicy = {
      group: p.stringAt(entry, 'group', true) as string,
      pattern,
      matches,
      permission: value as EnvLevel,
      effect: p.effectAt(entry),
      line: p.lineOf(entry),
    }
    if (policy.effect === 'deny' && policy.permission === 'none')
      p.fail(entry, 'a deny of "none" denies nothing')
    return policy
  })
}

/** An organization-wide level (defaultPermission, groupRoles) on the environment scale: write includes open. */
const fromLevel = (level: Level): EnvLevel => level

/**
 * The level on one environment: the highest grant (default, group roles, matching environment policies), then
 * lowered below the lowest matching deny (a deny of `open` leaves `read`), as stackLevel does for stacks.
 */
export function environmentLevel(
  policy: RbacPolicy,
  principal: UserPrincipal,
  path: string | undefined,
): EnvLevel {
  if (principal.admin) return 'admin'
  let rank = envRank(fromLevel(policy.defaultPermission))
  let cap: number = ENV_LEVELS.length
  const apply = (permission: EnvLevel, effect: 'allow' | 'deny') => {
    if (effect === 'deny') cap = Math.min(cap, envRank(permission))
    else rank = Math.max(rank, envRank(permission))
  }
  const member = (group: string) => principal.groups.includes(group)
  for (const role of policy.groupRoles) if (member(role.group)) apply(fromLevel(role.permission), role.effect)
  if (path !== undefined) {
    for (const rule of policy.environmentPolicies) {
      if (member(rule.group) && rule.matches.test(path)) apply(rule.permission, rule.effect)
    }
  }
  return ENV_LEVELS[Math.max(0, Math.min(rank, cap - 1))] as EnvLevel
}

/** The decision on an `env:` permission under a policy (authorize.ts delegates here). */
export function authorizeEnvironment(
  policy: RbacPolicy,
  principal: UserPrincipal,
  permission: Permission,
  resource: Resource,
): { allow: true } | { allow: false; reason: string } {
  const need: EnvLevel = permission === 'env:create' ? 'write' : (permission.slice(4) as EnvLevel)
  const path =
    resource.org && resource.project && resource.environment
      ? `${resource.org}/${resource.project}/${resource.environment}`
      : undefined
  const have = environmentLevel(policy, principal, path)
  if (envRank(have) >= envRank(need)) return { allow: true }
  return {
    allow: false,
    reason: `insufficient permissions: require ${need} on environment ${path ?? resource.org ?? 'the organization'}, have ${have}`,
  }
}
