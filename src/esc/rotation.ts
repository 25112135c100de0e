// `POST …/rotate` (what `esc env rotate` / `pulumi env rotate` call: pulumi/esc cmd/esc/cli/client/client.go ::
// RotateEnvironment): finds the `fn::rotate` declarations of an environment's own values and runs each through its
// rotator. Every rotator runs through the provider interface (providers.ts), so a rotator added there is picked up
// here. Of the rotators, this server has `random-secret` (random-secret-rotator.ts); the others answer, per path,
// that they are not available, in Cloud's shape. New state is written back into the definition as a new revision.
import { randomUUID } from 'node:crypto'
import { isMap, parseDocument } from 'yaml'
import type { EnvironmentDecl, Expr } from './eval/ast.js'
import type { ProviderLoader } from './eval/evaluator.js'
import type { EscValue } from './eval/value.js'

export interface RotationTarget {
  /** Property path of the `fn::rotate` value (`aws.iam`, `keys[0]`, `a["b.c"]`). */
  path: string
  /** The YAML path under `values` (keys and indexes), where the new state is written. */
  segments: (string | number)[]
  provider: string | undefined
  expr: Extract<Expr, { kind: 'rotate' }>
}

/** The `fn::rotate` values of a definition, with their property paths, in document order. */
export function rotationTargets(env: EnvironmentDecl): RotationTarget[] {
  const found: RotationTarget[] = []
  const walk = (expr: Expr, path: string, segments: (string | number)[]) => {
    if (expr.kind === 'rotate') found.push({ path, segments, provider: expr.provider?.value, expr })
    else if (expr.kind === 'object') {
      for (const entry of expr.entries) {
        if (entry.key) walk(entry.value, joinPath(path, entry.key.value), [...segments, entry.key.value])
      }
    } else if (expr.kind === 'array') {
      for (const [i, e] of expr.elements.entries()) walk(e, `${path}[${i}]`, [...segments, i])
    }
  }
  for (const { key, value } of env.values) walk(value, joinPath('', key.value), [key.value])
  return found
}

const joinPath = (path: string, key: string) =>
  /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)
    ? path === ''
      ? key
      : `${path}.${key}`
    : `${path}[${JSON.stringify(key)}]`

/** Whether `target` is one the request asked for (no paths: all; a path also selects everything under it). */
export function selected(target: string, paths: readonly string[]): boolean {
  return (
    paths.length === 0 ||
    paths.some((p) => target === p || target.startsWith(`${p}.`) || target.startsWith(`${p}[`))
  )
}

export interface SecretRotation {
  id: string
  environmentPath: string
  status: 'succeeded' | 'failed'
  errorMessage?: string
}

/**
 * Runs the selected rotations on a definition whose secrets are decrypted (so the stored state reads as
 * plaintext). A rotator that cannot be loaded fails its rotation with the loader's message. Returns the
 * definition with every new state written in as `fn::secret` values (undefined when nothing rotated).
 */
export async function runRotations(
  yaml: string,
  targets: readonly RotationTarget[],
  providers: ProviderLoader,
): Promise<{ rotations: SecretRotation[]; yaml: string | undefined }> {
  const rotations: SecretRotation[] = []
  const doc = parseDocument(yaml)
  let changed = false
  for (const target of targets) {
    const rotation = { id: randomUUID(), environmentPath: target.path }
    try {
      if (target.provider === undefined) throw new Error('fn::rotate names no rotator')
      const rotator = await providers.loadRotator(target.provider)
      if (!rotator.rotate) throw new Error(`rotator "${target.provider}" cannot rotate on this server`)
      const inputs = asMap(literal(target.expr.inputs), 'inputs')
      const given = asMap(literal(target.expr.state), 'state')
      const state = Object.keys(given).length > 0 ? given : undefined
      const next = await rotator.rotate(inputs, state)
      const call = doc.getIn(['values', ...target.segments], true)
      const args = isMap(call) && call.items.length === 1 ? call.get(call.items[0]?.key, true) : undefined
      if (!isMap(args))
        throw new Error('the fn::rotate arguments must be a mapping to store the new state in')
      const secrets = Object.fromEntries(Object.entries(next).map(([k, v]) => [k, { 'fn::secret': v }]))
      args.set('state', doc.createNode(secrets))
      changed = true
      rotations.push({ ...rotation, status: 'succeeded' })
    } catch (error) {
      rotations.push({ ...rotation, status: 'failed', errorMessage: (error as Error).message })
    }
  }
  return { rotations, yaml: changed ? doc.toString({ lineWidth: 0 }) : undefined }
}

/** A literal expression as a value (rotator inputs and state are read from the definition, not evaluated). */
function literal(expr: Expr | undefined): EscValue {
  if (!expr) return {}
  switch (expr.kind) {
    case 'null':
      return { value: null }
    case 'boolean':
    case 'number':
    case 'string':
      return { value: expr.value }
    case 'secret':
      if (expr.plaintext === undefined) throw new Error('a secret in the rotation state cannot be decrypted')
      return { value: expr.plaintext.value, secret: true }
    case 'array':
      return { value: expr.elements.map(literal) }
    case 'object':
      return {
        value: Object.fromEntries(
          expr.entries.filter((e) => e.key).map((e) => [e.key?.value as string, literal(e.value)]),
        ),
      }
    default:
      throw new Error('rotation inputs and state must be literal values on this server (no references)')
  }
}

function asMap(v: EscValue, what: string): Record<string, EscValue> {
  if (v.value === undefined || v.value === null) return {}
  if (v.value === null || typeof v.value !== 'object' || Array.isArray(v.value))
    throw new Error(`rotation ${what} must be an object`)
  return v.value as Record<string, EscValue>
}
