import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from 'yaml'
import { type EnvironmentPolicy, parseEnvironmentPolicies } from './environment-policy.js'
import { compileGlob } from './glob.js'
import { isLevel, LEVELS, type Level } from './permission.js'

export type Effect = 'allow' | 'deny'

/** A global grant (or denial) to everyone in `group`. */
export interface GroupRole {
  group: string
  permission: Level
  effect: Effect
  line: number
}

/** A grant (or denial) to `group` on the stacks whose `org/project/stack` matches `pattern`. */
export interface StackPolicy {
  group: string
  /** The pattern as written: a `stackPattern`, or a `projectPattern` widened to all of its stacks. */
  pattern: string
  matches: RegExp
  permission: Level
  effect: Effect
  line: number
}

/** A parsed, validated -rbac-config file. */
export interface RbacPolicy {
  defaultPermission: Level
  groupRoles: readonly GroupRole[]
  stackPolicies: readonly StackPolicy[]
  /** ESC environments by `org/project/env` pattern (environment-policy.ts). */
  environmentPolicies: readonly EnvironmentPolicy[]
}

/** An invalid RBAC file; the message names the file and line. */
export class RbacConfigError extends Error {
  override name = 'RbacConfigError'
}

const TOP_KEYS = ['defaultPermission', 'groupRoles', 'stackPolicies', 'environmentPolicies']
const ROLE_KEYS = ['group', 'permission', 'effect']
const POLICY_KEYS = ['group', 'stackPattern', 'projectPattern', 'permission', 'effect']

/**
 * Parses the YAML of -rbac-config: the Go server's format (defaultPermission, groupRoles, stackPolicies with
 * globs) plus `effect: deny`, `projectPattern` and `environmentPolicies`. Unlike the Go server, every mistake is an error with its line
 * (nothing is skipped with a warning), and a missing defaultPermission means `none` (fail closed).
 */
export function parseRbacConfig(text: string, source = 'rbac config'): RbacPolicy {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true })
  const fail = (node: Node | null | undefined, message: string): never => {
    const offset = node?.range?.[0]
    const where = offset === undefined ? '' : `:${lines.linePos(offset).line}`
    throw new RbacConfigError(`${source}${where}: ${message}`)
  }
  if (doc.errors.length > 0) {
    const first = doc.errors[0]
    const line = first?.linePos?.[0]?.line
    throw new RbacConfigError(
      `${source}${line ? `:${line}` : ''}: invalid YAML: ${first?.message.split('\n')[0]}`,
    )
  }
  const root = doc.contents
  if (root === null || (isScalar(root) && root.value === null)) {
    return { defaultPermission: 'none', groupRoles: [], stackPolicies: [], environmentPolicies: [] }
  }
  if (!isMap(root)) return fail(root, 'expected a mapping with defaultPermission, groupRoles, stackPolicies')
  checkKeys(root, TOP_KEYS, fail)

  const levelAt = (map: YAMLMap, key: string, required: boolean): Level | undefined => {
    const node = map.get(key, true)
    if (node === undefined) return required ? fail(map, `missing "${key}"`) : undefined
    if (!isScalar(node) || !isLevel(node.value)) {
      return fail(node, `"${key}" must be one of ${LEVELS.join(', ')} (got ${JSON.stringify(toJs(node))})`)
    }
    return node.value
  }
  const stringAt = (map: YAMLMap, key: string, required: boolean): string | undefined => {
    const node = map.get(key, true)
    if (node === undefined) return required ? fail(map, `missing "${key}"`) : undefined
    if (!isScalar(node) || typeof node.value !== 'string' || node.value.trim() === '') {
      return fail(node, `"${key}" must be a non-empty string`)
    }
    return node.value
  }
  const effectAt = (map: YAMLMap): Effect => {
    const node = map.get('effect', true)
    if (node === undefined) return 'allow'
    if (!isScalar(node) || (node.value !== 'allow' && node.value !== 'deny')) {
      return fail(node, '"effect" must be allow or deny')
    }
    return node.value
  }
  const entries = (key: string): YAMLMap[] => {
    const node = root.get(key, true)
    if (node === undefined || (isScalar(node) && node.value === null)) return []
    if (!isSeq(node)) return fail(node, `"${key}" must be a list`)
    return node.items.map((item) =>
      isMap(item) ? item : fail(item as Node, `each "${key}" entry must be a mapping`),
    )
  }
  const lineOf = (node: Node) => lines.linePos(node.range?.[0] ?? 0).line

  const defaultPermission = levelAt(root, 'defaultPermission', false) ?? 'none'
  const groupRoles = entries('groupRoles').map((entry): GroupRole => {
    checkKeys(entry, ROLE_KEYS, fail)
    const role = {
      group: stringAt(entry, 'group', true) as string,
      permission: levelAt(entry, 'permission', true) as Level,
      effect: effectAt(entry),
      line: lineOf(entry),
    }
    if (role.effect === 'deny' && role.permission === 'none') fail(entry, 'a deny of "none" denies nothing')
    return role
  })
  const stackPolicies = entries('stackPolicies').map((entry): StackPolicy => {
    checkKeys(entry, POLICY_KEYS, fail)
    const stackPattern = stringAt(entry, 'stackPattern', false)
    const projectPattern = stringAt(entry, 'projectPattern', false)
    if ((stackPattern === undefined) === (projectPattern === undefined)) {
      fail(entry, 'give exactly one of "stackPattern" (org/project/stack) or "projectPattern" (org/project)')
    }
    const segments = stackPattern !== undefined ? 3 : 2
    const written = (stackPattern ?? projectPattern) as string
    const parts = written.split('/')
    if (parts.length !== segments || parts.some((part) => part === '')) {
      fail(
        entry.get(stackPattern !== undefined ? 'stackPattern' : 'projectPattern', true) as Node,
        `pattern ${JSON.stringify(written)} must have ${segments} non-empty segments separated by "/"`,
      )
    }
    if (written.includes('**'))
      fail(entry, `"**" is not supported in ${JSON.stringify(written)}; "*" spans one segment`)
    const pattern = stackPattern ?? `${projectPattern}/*`
    let matches: RegExp
    try {
      matches = compileGlob(pattern)
    } catch (error) {
      return fail(entry, (error as Error).message)
    }
    const policy = {
      group: stringAt(entry, 'group', true) as string,
      pattern,
      matches,
      permission: levelAt(entry, 'permission', true) as Level,
      effect: effectAt(entry),
      line: lineOf(entry),
    }
    if (policy.effect === 'deny' && policy.permission === 'none')
      fail(entry, 'a deny of "none" denies nothing')
    return policy
  })
  const environmentPolicies = parseEnvironmentPolicies(entries('environmentPolicies'), {
    fail,
    checkKeys: (map, known) => checkKeys(map, known, fail),
    stringAt,
    effectAt,
    lineOf,
  })
  return { defaultPermission, groupRoles, stackPolicies, environmentPolicies }
}

function checkKeys(map: YAMLMap, known: string[], fail: (node: Node, message: string) => never): void {
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
    if (!known.includes(key))
      fail(pair.key as Node, `unknown key "${key}" (expected one of ${known.join(', ')})`)
  }
}

function toJs(node: Node): unknown {
  return isScalar(node) ? node.value : node.toJSON()
}
