// Checks an evaluated value against a schema, reporting at the value's defining expression with ESC's messages
// (pulumi/esc eval/eval_validate.go validateElement).
import { type Diagnostic, errorDiag } from './diagnostics.js'
import { always, resolveRef, type Schema } from './schema.js'
import { joinKey } from './syntax.js'
import type { Value } from './value.js'

function typeOf(v: Value): Schema['type'] {
  const r = v.repr
  if (r === null) return 'null'
  if (typeof r === 'boolean') return 'boolean'
  if (typeof r === 'number') return 'number'
  if (typeof r === 'string') return 'string'
  return Array.isArray(r) ? 'array' : 'object'
}

function equalsConst(v: Value, c: unknown): boolean {
  const r = v.repr
  if (Array.isArray(c))
    return Array.isArray(r) && r.length === c.length && c.every((e, i) => equalsConst(r[i] as Value, e))
  if (c !== null && typeof c === 'object') {
    if (!(r instanceof Map)) return false
    const entries = Object.entries(c)
    return (
      r.size === entries.length && entries.every(([k, e]) => r.has(k) && equalsConst(r.get(k) as Value, e))
    )
  }
  return r === c
}

/** Where a schema-level finding is reported: the value's expression, with a path prefix inside it. */
interface Loc {
  v: Value
  path: string
  prefix: boolean
}

// A user's fn::validate schema may refer to itself; references are followed this deep at most.
const MAX_REF_DEPTH = 32

export class Validator {
  readonly diags: Diagnostic[] = []
  constructor(
    private readonly root: Schema,
    private refDepth = 0,
  ) {}

  private follow(s: Schema): Schema | undefined {
    return this.refDepth < MAX_REF_DEPTH ? resolveRef(this.root, s) : undefined
  }

  private withRef(check: () => boolean): boolean {
    this.refDepth++
    try {
      return check()
    } finally {
      this.refDepth--
    }
  }

  private error(v: Value, summary: string): false {
    const node = v.def.expr?.node
    this.diags.push(errorDiag(summary, node?.range, node?.path ?? ''))
    return false
  }

  validate(v: Value, accept: Schema | undefined): boolean {
    if (!accept || accept.always) return true
    if (accept.never) return false
    if (v.unknown) return this.validateUnknown(v.schema, accept, v)
    const ref = this.follow(accept)
    const rok = !ref || this.withRef(() => this.validate(v, ref))
    const aok = this.anyOf(v, accept)
    const ook = this.oneOf(v, accept)
    const cok =
      accept.const === undefined ||
      equalsConst(v, accept.const) ||
      this.error(v, `expected ${JSON.stringify(accept.const)}`)
    let eok = true
    if (accept.enum && accept.enum.length > 0 && !accept.enum.some((c) => equalsConst(v, c))) {
      eok = this.error(
        v,
        accept.enum.length === 1
          ? `expected ${JSON.stringify(accept.enum[0])}`
          : `expected one of ${JSON.stringify(accept.enum)}`,
      )
    }
    const tok = this.validateType(v, accept)
    return rok && aok && ook && cok && eok && tok
  }

  /** An unknown value is checked by its schema against the expected one (validateSchemaType in ESC). */
  private validateUnknown(have: Schema, accept: Schema, v: Value): boolean {
    return this.schemaType(have, accept, { v, path: '', prefix: false })
  }

  private locError(loc: Loc, summary: string): false {
    return this.error(loc.v, loc.prefix ? `${loc.path}: ${summary}` : summary)
  }

  private subSchemas(list: Schema[], match: (s: Schema, sub: Validator) => boolean, loc: Loc): boolean {
    const all: Diagnostic[] = []
    let matched = false
    for (const s of list) {
      const sub = new Validator(this.root, this.refDepth)
      if (match(s, sub)) matched = true
      all.push(...sub.diags)
    }
    if (matched) return true
    this.diags.push(...all)
    return this.locError(loc, 'at least one subschema must match')
  }

  private schemaType(x: Schema | undefined, accept: Schema | undefined, loc: Loc): boolean {
    if (!accept || accept.always) return true
    if (accept.never) return false
    if (!x || x.always) return true
    if (x.never) return false
    const ref = this.follow(accept)
    const refOk = !ref || this.withRef(() => this.schemaType(x, ref, loc))
    const xAnyOk =
      !x.anyOf?.length || this.subSchemas(x.anyOf, (s, sub) => sub.schemaType(s, accept, loc), loc)
    const xOneOk =
      !x.oneOf?.length || this.subSchemas(x.oneOf, (s, sub) => sub.schemaType(s, accept, loc), loc)
    const typeOk =
      !x.type ||
      !accept.type ||
      x.type === accept.type ||
      this.locError(loc, `expected ${accept.type}, got ${x.type}`)
    const anyOk =
      !accept.anyOf?.length || this.subSchemas(accept.anyOf, (s, sub) => sub.schemaType(x, s, loc), loc)
    const oneOk =
      !accept.oneOf?.length || this.subSchemas(accept.oneOf, (s, sub) => sub.schemaType(x, s, loc), loc)
    let complexOk = true
    if (x.type === 'array') complexOk = this.schemaArray(x, accept, loc)
    else if (x.type === 'object') complexOk = this.schemaObject(x, accept, loc)
    return refOk && xAnyOk && xOneOk && typeOk && anyOk && oneOk && complexOk
  }

  private schemaArray(x: Schema, accept: Schema, loc: Loc): boolean {
    let ok = true
    const xs = x.prefixItems ?? []
    const as = accept.prefixItems ?? []
    const n = Math.max(xs.length, as.length)
    for (let i = 0; i < n; i++) {
      const item = { ...loc, path: `${loc.path}[${i}]`, prefix: true }
      if (!this.schemaType(xs[i] ?? x.items, as[i] ?? accept.items, item)) ok = false
    }
    if (x.items && !x.items.never && !this.schemaType(x.items, accept.items, loc)) ok = false
    return ok
  }

  private schemaObject(x: Schema, accept: Schema, loc: Loc): boolean {
    let ok = true
    const at = (k: string): Loc => ({ ...loc, path: joinKey(loc.path, k), prefix: true })
    for (const [k, px] of Object.entries(x.properties ?? {})) {
      if (!this.schemaType(px, accept.properties?.[k] ?? accept.additionalProperties, at(k))) ok = false
    }
    if (!x.additionalProperties) {
      const have = new Set(x.required ?? [])
      const check = (names: string[]) => {
        for (const k of names) if (!have.has(k)) ok = this.locError(at(k), 'missing required property')
      }
      check(accept.required ?? [])
      for (const [k, deps] of Object.entries(accept.dependentRequired ?? {})) if (have.has(k)) check(deps)
    } else if (
      !x.additionalProperties.never &&
      !this.schemaType(x.additionalProperties, accept.additionalProperties, loc)
    ) {
      ok = false
    }
    return ok
  }

  private anyOf(v: Value, accept: Schema): boolean {
    if (!accept.anyOf?.length) return true
    const all: Diagnostic[] = []
    let matched = false
    for (const s of accept.anyOf) {
      const sub = new Validator(this.root, this.refDepth)
      if (sub.validate(v, s)) matched = true
      all.push(...sub.diags)
    }
    if (matched) return true
    this.diags.push(...all)
    return this.error(v, 'at least one subschema must match')
  }

  private oneOf(v: Value, accept: Schema): boolean {
    if (!accept.oneOf?.length) return true
    const all: Diagnostic[] = []
    let matched = 0
    for (const s of accept.oneOf) {
      const sub = new Validator(this.root, this.refDepth)
      if (sub.validate(v, s)) {
        if (++matched > 1) return this.error(v, 'exactly one subschema may match')
      }
      all.push(...sub.diags)
    }
    if (matched === 1) return true
    this.diags.push(...all)
    return this.error(v, 'exactly one subschema must match')
  }

  private validateType(v: Value, accept: Schema): boolean {
    const actual = typeOf(v)
    if (accept.type && actual !== accept.type) return this.error(v, `expected ${accept.type}, got ${actual}`)
    const r = v.repr
    let ok = true
    if (typeof r === 'number') {
      if (accept.multipleOf !== undefined && !Number.isInteger(r / accept.multipleOf)) {
        ok = this.error(v, `expected a multiple of ${accept.multipleOf}`)
      }
      if (accept.minimum !== undefined && r < accept.minimum) {
        ok = this.error(v, `expected a number greater than or equal to ${accept.minimum}`)
      }
      if (accept.exclusiveMinimum !== undefined && r <= accept.exclusiveMinimum) {
        ok = this.error(v, `expected a number greater than ${accept.exclusiveMinimum}`)
      }
      // ESC's message has no space before the bound here.
      if (accept.maximum !== undefined && r > accept.maximum) {
        ok = this.error(v, `expected a number less than or equal to${accept.maximum}`)
      }
      if (accept.exclusiveMaximum !== undefined && r >= accept.exclusiveMaximum) {
        ok = this.error(v, `expected a number less than ${accept.exclusiveMaximum}`)
      }
    } else if (typeof r === 'string') {
      const length = Buffer.byteLength(r)
      if (accept.minLength !== undefined && length < accept.minLength) {
        ok = this.error(v, `expected a string of at least length ${accept.minLength}`)
      }
      if (accept.maxLength !== undefined && length > accept.maxLength) {
        ok = this.error(v, `expected a string of at most length ${accept.maxLength}`)
      }
      if (accept.pattern !== undefined && !new RegExp(accept.pattern).test(r)) {
        ok = this.error(v, `string must match the pattern ${JSON.stringify(accept.pattern)}`)
      }
    } else if (Array.isArray(r)) {
      if (accept.minItems !== undefined && r.length < accept.minItems) {
        ok = this.error(v, `expected an array with at least ${accept.minItems} items`)
      }
      if (accept.maxItems !== undefined && r.length > accept.maxItems) {
        ok = this.error(v, `expected an array with at most ${accept.maxItems} items`)
      }
      r.forEach((e, i) => {
        if (!this.validate(e, accept.prefixItems?.[i] ?? accept.items ?? always())) ok = false
      })
    } else if (r instanceof Map) {
      ok = this.validateObject(v, accept)
    }
    return ok
  }

  private validateObject(v: Value, accept: Schema): boolean {
    const keys = v.keys()
    let ok = true
    if (accept.minProperties !== undefined && keys.length < accept.minProperties) {
      ok = this.error(v, `expected an object with at least ${accept.minProperties} properties`)
    }
    if (accept.maxProperties !== undefined && keys.length > accept.maxProperties) {
      ok = this.error(v, `expected an object with at most ${accept.maxProperties} properties`)
    }
    for (const k of keys) {
      const p = v.property(k) as Value
      if (!this.validate(p, accept.properties?.[k] ?? accept.additionalProperties ?? always())) ok = false
    }
    const missing = (accept.required ?? []).filter((k) => !keys.includes(k))
    for (const [k, deps] of Object.entries(accept.dependentRequired ?? {})) {
      if (keys.includes(k)) missing.push(...deps.filter((d) => !keys.includes(d)))
    }
    if (missing.length > 0) ok = this.error(v, `missing required properties: ${missing.join(', ')}`)
    return ok
  }
}
