// The JSON-Schema subset ESC uses to type values and provider inputs (pulumi/esc schema/), plus the value validator
// whose messages match eval/eval_validate.go.

export interface Schema {
  always?: boolean
  never?: boolean
  type?: 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object'
  const?: unknown
  enum?: unknown[]
  properties?: Record<string, Schema>
  additionalProperties?: Schema
  required?: string[]
  dependentRequired?: Record<string, string[]>
  items?: Schema
  prefixItems?: Schema[]
  anyOf?: Schema[]
  oneOf?: Schema[]
  $ref?: string
  $defs?: Record<string, Schema>
  multipleOf?: number
  minimum?: number
  exclusiveMinimum?: number
  maximum?: number
  exclusiveMaximum?: number
  minLength?: number
  maxLength?: number
  pattern?: string
  minItems?: number
  maxItems?: number
  minProperties?: number
  maxProperties?: number
  /** Input properties only evaluated during rotation. */
  rotateOnly?: string[]
  /** Set on a property schema named in its parent's rotateOnly. */
  isRotateOnly?: boolean
}

export const always = (): Schema => ({ always: true })
export const never = (): Schema => ({ never: true })
export const stringSchema = (): Schema => ({ type: 'string' })
export const arrayOf = (items: Schema): Schema => ({ type: 'array', items })
export const record = (properties: Record<string, Schema>): Schema => ({
  type: 'object',
  properties,
  required: Object.keys(properties).sort(),
})
export const tuple = (items: Schema[]): Schema => ({ type: 'array', prefixItems: items, items: never() })

export function propertySchema(s: Schema, key: string): Schema {
  if (s.always || s.type !== 'object') return always()
  const p = s.properties?.[key] ?? s.additionalProperties ?? always()
  return s.rotateOnly?.includes(key) ? { ...p, isRotateOnly: true } : p
}

export function itemSchema(s: Schema, index: number): Schema {
  if (s.always || s.type !== 'array') return always()
  return s.prefixItems?.[index] ?? s.items ?? always()
}

/** The schema of a value merged over an imported base (mergedSchema in eval/value.go). */
export function mergedSchema(base: Schema | undefined, top: Schema): Schema {
  if (!base || top.type !== 'object' || base.type !== 'object') return top
  const properties: Record<string, Schema> = { ...(base.properties ?? {}) }
  for (const [k, s] of Object.entries(top.properties ?? {})) {
    const b = properties[k]
    properties[k] = b ? mergedSchema(b, s) : s
  }
  const merged = record(properties)
  if (base.additionalProperties)
    merged.additionalProperties = top.additionalProperties ? always() : base.additionalProperties
  else if (top.additionalProperties) merged.additionalProperties = top.additionalProperties
  return merged
}

export function resolveRef(root: Schema, s: Schema): Schema | undefined {
  if (!s.$ref) return undefined
  const name = s.$ref.replace(/^#\/\$defs\//, '')
  return root.$defs?.[name]
}
