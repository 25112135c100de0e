// The `exprs` of a checked or opened environment: the expression tree with ranges, schemas and bases, in the JSON
// shape of esc.Expr (pulumi/esc expr.go; eval/expr.go export). `esc env get <env> <path>` walks it to show where a
// value is defined.
import type { Accessor } from './ast.js'
import type { SourceRange } from './diagnostics.js'
import type { Schema } from './schema.js'
import type { ObjectNode } from './syntax.js'
import { type Decl, defRange } from './value.js'

/** The declaration tree the evaluator builds (structural view; see evaluator.ts DeclTree). */
export interface ExportableDecl extends Decl {
  props?: Map<string, ExportableDecl>
  elems?: ExportableDecl[]
  args?: Partial<Record<'a' | 'b', ExportableDecl>>
}

export interface EscExpr {
  range: SourceRange
  schema?: unknown
  base?: EscExpr
  keyRanges?: Record<string, SourceRange>
  literal?: unknown
  interpolate?: { text?: string; value?: EscAccessor[] }[]
  symbol?: EscAccessor[]
  list?: EscExpr[]
  object?: Record<string, EscExpr>
  builtin?: { name: string; nameRange: SourceRange; argSchema: unknown; arg: EscExpr }
}

interface EscAccessor {
  index?: number
  key?: string
  range: SourceRange
  value: SourceRange
}

const ZERO = { line: 0, column: 0, byte: 0 }

/** Schema as JSON Schema on the wire: `true` for any value, `false` for none (schema.Schema MarshalJSON). */
export function schemaToJSON(s: Schema | undefined): unknown {
  if (!s || s.always) return true
  if (s.never) return false
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(s)) {
    if (k === 'isRotateOnly' || v === undefined) continue
    if (k === 'properties' || k === '$defs') {
      out[k] = Object.fromEntries(
        Object.entries(v as Record<string, Schema>).map(([p, ps]) => [p, schemaToJSON(ps)]),
      )
    } else if (k === 'items' || k === 'additionalProperties') out[k] = schemaToJSON(v as Schema)
    else if (k === 'prefixItems' || k === 'anyOf' || k === 'oneOf') out[k] = (v as Schema[]).map(schemaToJSON)
    else out[k] = v
  }
  return out
}

function accessors(access: readonly Accessor[], environment: string): EscAccessor[] {
  return access.map((a) => {
    const range = a.range ?? { environment, begin: ZERO, end: ZERO }
    if (a.kind === 'subscript' && typeof a.index === 'number') return { index: a.index, range, value: range }
    return { key: a.kind === 'name' ? a.name : String(a.index), range, value: range }
  })
}

/** Exports one declaration (and, through `base`, what it overrides). */
export function exportDecl(d: ExportableDecl, environment: string, depth = 0): EscExpr {
  const out: EscExpr = { range: defRange(d, environment), schema: schemaToJSON(d.schema) }
  // Bases chain through imports; a bound keeps a pathological chain from growing the answer without limit.
  if (d.base && depth < 64) out.base = exportDecl(d.base.def as ExportableDecl, environment, depth + 1)
  const x = d.expr
  if (!x) return out
  const arg = (which: 'a' | 'b'): EscExpr => {
    const sub = d.args?.[which]
    return sub ? exportDecl(sub, environment, depth) : { range: { environment, begin: ZERO, end: ZERO } }
  }
  switch (x.kind) {
    case 'null':
      return out
    case 'boolean':
    case 'number':
    case 'string':
      return { ...out, literal: x.value }
    case 'interpolate':
      return {
        ...out,
        interpolate: x.parts.map((p) => ({
          ...(p.text ? { text: p.text } : {}),
          ...(p.access ? { value: accessors(p.access, environment) } : {}),
        })),
      }
    case 'symbol':
      return { ...out, symbol: accessors(x.access, environment) }
    case 'array':
      return { ...out, list: (d.elems ?? []).map((e) => exportDecl(e, environment, depth)) }
    case 'object': {
      const keyRanges: Record<string, SourceRange> = {}
      for (const e of x.entries) if (e.key?.node) keyRanges[e.key.value] = e.key.node.range
      const object: Record<string, EscExpr> = {}
      for (const [k, v] of d.props ?? []) object[k] = exportDecl(v, environment, depth)
      return { ...out, keyRanges, object }
    }
  }
  const node = x.node as ObjectNode | undefined
  const nameNode = node?.entries[0]?.key
  const name = nameNode?.kind === 'string' ? nameNode.value : `fn::${x.kind}`
  const nameRange = nameNode?.range ?? { environment, begin: ZERO, end: ZERO }
  const argRange = node?.entries[0]?.value.range ?? { environment, begin: ZERO, end: ZERO }
  let argument: EscExpr
  switch (x.kind) {
    case 'secret':
      argument = x.ciphertext ? { range: argRange, object: { ciphertext: arg('a') } } : arg('a')
      break
    case 'open':
      argument = name === 'fn::open' ? { range: argRange, object: { inputs: arg('a') } } : arg('a')
      break
    case 'rotate':
      argument = { range: argRange, object: { inputs: arg('a'), state: arg('b') } }
      break
    case 'join':
    case 'split':
      argument = { range: argRange, list: [arg('a'), arg('b')] }
      break
    case 'validate':
      argument = { range: argRange, object: { schema: arg('a'), value: arg('b') } }
      break
    default:
      argument = arg('a')
  }
  return { ...out, builtin: { name, nameRange, argSchema: true, arg: argument } }
}
