// Compares two OpenAPI 3.0 schemas (ours, Pulumi Cloud's) by field names, types and required-ness.

export type Schema = Record<string, unknown>

/**
 * `request`: we must not demand more than Pulumi's spec does (no field it lacks, nothing required that it leaves
 * optional). `response`: we must send what it promises (every field it requires, with its type) and no field it
 * does not know.
 */
export type Direction = 'request' | 'response'

export interface SchemaComparison {
  /** Resolves `{$ref: '#/components/schemas/X'}` in either document. */
  resolve(schema: Schema): Schema
}

const MAX_DEPTH = 8

/** Differences as `where: what` lines, e.g. `body.tags: type object, Pulumi: array`. */
export function compareSchemas(
  ours: Schema | undefined,
  theirs: Schema | undefined,
  direction: Direction,
  where: string,
  context: SchemaComparison,
  depth = 0,
): string[] {
  if (!ours || !theirs || depth > MAX_DEPTH) return []
  const a = context.resolve(ours)
  const b = context.resolve(theirs)
  const typeA = typeOf(a)
  const typeB = typeOf(b)
  // An opaque side (free-form JSON) constrains nothing.
  if (typeA === undefined || typeB === undefined) return []
  if (typeA !== typeB && !(typeA === 'integer' && typeB === 'number' && direction === 'response')) {
    return [`${where}: type ${typeA}, Pulumi: ${typeB}`]
  }
  if (typeA === 'array') {
    return compareSchemas(a.items as Schema, b.items as Schema, direction, `${where}[]`, context, depth + 1)
  }
  if (typeA !== 'object') return []

  const out: string[] = []
  const propsA = (a.properties ?? {}) as Record<string, Schema>
  const propsB = (b.properties ?? {}) as Record<string, Schema>
  const mapB = typeof b.additionalProperties === 'object' ? (b.additionalProperties as Schema) : undefined
  const mapA = typeof a.additionalProperties === 'object' ? (a.additionalProperties as Schema) : undefined
  const requiredA = new Set((a.required ?? []) as string[])
  const requiredB = new Set((b.required ?? []) as string[])
  const openB = Object.keys(propsB).length === 0 && !mapB
  if (openB) return out
  for (const [name, schema] of Object.entries(propsA)) {
    const field = `${where}.${name}`
    const other = propsB[name] ?? mapB
    if (!other) out.push(`${field}: not in Pulumi's`)
    else out.push(...compareSchemas(schema, other, direction, field, context, depth + 1))
    if (direction === 'request' && requiredA.has(name) && propsB[name] && !requiredB.has(name)) {
      out.push(`${field}: required here, optional in Pulumi's`)
    }
  }
  if (direction === 'response') {
    for (const name of requiredB) {
      if (!propsA[name] && !mapA) out.push(`${where}.${name}: required by Pulumi's, not sent`)
      else if (propsA[name] && !requiredA.has(name)) {
        out.push(`${where}.${name}: required by Pulumi's, optional here`)
      }
    }
  }
  if (mapA && mapB) out.push(...compareSchemas(mapA, mapB, direction, `${where}{}`, context, depth + 1))
  return out
}

function typeOf(schema: Schema): string | undefined {
  if (typeof schema.type === 'string') return schema.type
  if (schema.properties || schema.additionalProperties) return 'object'
  return undefined
}
