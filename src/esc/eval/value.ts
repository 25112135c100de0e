// Evaluated values: layering over imported bases (merge), unknowns and secrets, and export to the esc.Value wire
// shape (pulumi/esc eval/value.go and value.go).
import type { Expr } from './ast.js'
import type { SourceRange } from './diagnostics.js'
import { always, mergedSchema, propertySchema, type Schema } from './schema.js'

/** esc.Value as the API serves it: `value` omitted when null, flags omitted when false. */
export interface EscValue {
  value?: null | boolean | number | string | EscValue[] | { [key: string]: EscValue }
  secret?: boolean
  unknown?: boolean
  trace?: { def?: SourceRange; base?: EscValue }
}

export type Repr = null | boolean | number | string | Value[] | Map<string, Value>

/** A declaration site: the expression a value came from, its document path and its imported base. */
export interface Decl {
  path: string
  expr?: Expr
  base?: Value
  schema: Schema
  secret: boolean
  state: 'pending' | 'evaluating' | 'done'
  value?: Value
}

export function syntheticDecl(path: string, expr?: Expr): Decl {
  return { path, expr, schema: always(), secret: false, state: 'done' }
}

export class Value {
  base?: Value
  unknown = false
  secret = false
  final = false
  rotateOnly = false
  private mergedKeys?: string[]
  private exported?: EscValue
  private exporting = false

  constructor(
    public def: Decl,
    public schema: Schema,
    public repr: Repr = null,
  ) {}

  isObject(): boolean {
    if (this.unknown) return this.schema.always === true || this.schema.type === 'object'
    return this.repr instanceof Map
  }

  keys(): string[] {
    if (!(this.repr instanceof Map)) return []
    if (!this.mergedKeys) {
      const set = new Set<string>([...(this.base?.keys() ?? []), ...this.repr.keys()])
      this.mergedKeys = [...set].sort()
    }
    return this.mergedKeys
  }

  /** A property of this value or, failing that, of its base; unknown objects yield unknown properties. */
  property(key: string): Value | undefined {
    if (this.repr instanceof Map) return this.repr.get(key) ?? this.base?.property(key)
    if (this.unknown) {
      const base = this.base?.property(key)
      const child = new Value(syntheticDecl(key, this.def.expr), propertySchema(this.schema, key))
      child.unknown = true
      child.base = base
      child.sameAs = { receiver: this, key }
      return child
    }
    return undefined
  }

  /** Identity of unknown property accesses, so an unknown is never merged onto itself. */
  sameAs?: { receiver: Value; key: string }

  is(other: Value): boolean {
    if (this === other) return true
    if (this.unknown && other.unknown && this.sameAs && other.sameAs) {
      return this.sameAs.key === other.sameAs.key && this.sameAs.receiver.is(other.sameAs.receiver)
    }
    return false
  }

  containsUnknowns(): boolean {
    if (this.unknown) return true
    if (Array.isArray(this.repr)) return this.repr.some((v) => v.containsUnknowns())
    if (this.repr instanceof Map)
      return this.keys().some((k) => this.property(k)?.containsUnknowns() ?? false)
    return false
  }

  /** Unknowns other than rotate-only inputs, which an open never observes. */
  containsObservableUnknowns(): boolean {
    if (this.unknown) return !this.rotateOnly
    if (Array.isArray(this.repr)) return this.repr.some((v) => v.containsObservableUnknowns())
    if (this.repr instanceof Map)
      return this.keys().some((k) => this.property(k)?.containsObservableUnknowns() ?? false)
    return false
  }

  containsSecrets(): boolean {
    if (this.secret) return true
    if (Array.isArray(this.repr)) return this.repr.some((v) => v.containsSecrets())
    if (this.repr instanceof Map) return this.keys().some((k) => this.property(k)?.containsSecrets() ?? false)
    return false
  }

  /** Marks this value unknown/secret if any of the operands is. */
  combine(...others: Value[]): void {
    for (const o of others) {
      this.unknown = this.containsUnknowns() || o.containsUnknowns()
      this.secret = this.containsSecrets() || o.containsSecrets()
    }
  }

  merge(base: Value | undefined): void {
    if (!base || this.is(base)) return
    if (this.base) this.base.merge(base)
    else this.base = base
    if (this.repr instanceof Map) {
      for (const [k, p] of this.repr) p.merge(this.base.property(k))
    }
    this.mergedKeys = undefined
    this.schema = mergedSchema(this.base.schema, this.schema)
  }

  /** The interpolation text of a value (toString in eval/value.go). */
  toText(): { text: string; unknown: boolean; secret: boolean } {
    if (this.unknown) return { text: '[unknown]', unknown: true, secret: this.secret }
    let unknown = false
    let secret = this.secret
    const r = this.repr
    let text = ''
    if (typeof r === 'boolean' || typeof r === 'number') text = String(r)
    else if (typeof r === 'string') text = r
    else if (Array.isArray(r)) {
      text = r
        .map((v) => {
          const t = v.toText()
          unknown ||= t.unknown
          secret ||= t.secret
          return JSON.stringify(t.text)
        })
        .join(',')
    } else if (r instanceof Map) {
      text = [...r.keys()]
        .sort()
        .map((k) => {
          const t = (r.get(k) as Value).toText()
          unknown ||= t.unknown
          secret ||= t.secret
          return `${JSON.stringify(k)}=${JSON.stringify(t.text)}`
        })
        .join(',')
    }
    return { text, unknown, secret }
  }

  export(environment: string): EscValue {
    if (this.exported) return this.exported
    if (this.exporting) return { unknown: true }
    this.exporting = true
    try {
      let value: EscValue['value'] = null
      const r = this.repr
      if (Array.isArray(r)) value = r.map((v) => v.export(environment))
      else if (r instanceof Map) {
        const out: Record<string, EscValue> = {}
        for (const k of this.keys()) {
          const p = this.property(k)
          if (p) out[k] = p.export(environment)
        }
        value = out
      } else value = r
      const exported: EscValue = {}
      if (value !== null) exported.value = value
      if (this.secret) exported.secret = true
      if (this.unknown) exported.unknown = true
      exported.trace = { def: defRange(this.def, environment) }
      if (this.base) exported.trace.base = this.base.export('<import>')
      this.exported = exported
      return exported
    } finally {
      this.exporting = false
    }
  }
}

const ZERO = { line: 0, column: 0, byte: 0 }

export function defRange(decl: Decl, environment: string): SourceRange {
  return decl.expr?.node?.range ?? { environment, begin: ZERO, end: ZERO }
}

/** Deep copy of a value graph (bases included), so merging a copy never changes the original. */
export function copyValue(v: Value | undefined, memo = new Map<Value, Value>()): Value | undefined {
  if (!v) return undefined
  const seen = memo.get(v)
  if (seen) return seen
  const copy = new Value(v.def, v.schema)
  memo.set(v, copy)
  if (Array.isArray(v.repr)) copy.repr = v.repr.map((e) => copyValue(e, memo) as Value)
  else if (v.repr instanceof Map) {
    copy.repr = new Map([...v.repr].map(([k, e]) => [k, copyValue(e, memo) as Value]))
  } else copy.repr = v.repr
  copy.base = copyValue(v.base, memo)
  copy.unknown = v.unknown
  copy.secret = v.secret
  copy.final = v.final
  copy.sameAs = v.sameAs
  return copy
}

/** JSON of an exported value; with `redact`, secrets read `[secret]`; unknowns always read `[unknown]`. */
export function toJSON(v: EscValue, redact: boolean): unknown {
  if (v.secret && redact) return '[secret]'
  if (v.unknown) return '[unknown]'
  const inner = v.value
  if (Array.isArray(inner)) return inner.map((e) => toJSON(e, redact))
  if (inner !== null && typeof inner === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, e] of Object.entries(inner)) out[k] = toJSON(e, redact)
    return out
  }
  return inner ?? null
}

/** Plain JSON -> esc.Value (esc.FromJSON). */
export function fromJSON(v: unknown): EscValue {
  if (v === null || v === undefined) return {}
  if (Array.isArray(v)) return { value: v.map(fromJSON) }
  if (typeof v === 'object') {
    const out: Record<string, EscValue> = {}
    for (const k of Object.keys(v).sort()) out[k] = fromJSON((v as Record<string, unknown>)[k])
    return { value: out }
  }
  return { value: v as boolean | number | string }
}
