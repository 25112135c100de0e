/**
 * Resource property values of stored engine events, as the CLI's display sees them: the JSON of a step's inputs
 * and outputs deserialized the way pkg/resource/stack/deployment.go :: DeserializePropertyValue does (secrets are
 * blinded, the unknown sentinel becomes computed, assets and archives keep their fields), and compared the way
 * sdk/go/common/resource/properties_diff.go does.
 */
export type PropertyValue =
  | { k: 'null' }
  | { k: 'bool'; v: boolean }
  | { k: 'number'; v: number }
  | { k: 'string'; v: string }
  | { k: 'array'; v: PropertyValue[] }
  | { k: 'object'; v: PropertyMap }
  | { k: 'secret' }
  | { k: 'computed' }
  | { k: 'asset'; v: Record<string, unknown> }
  | { k: 'archive'; v: Record<string, unknown> }
  | { k: 'ref'; urn: string; id: PropertyValue; packageVersion: string }

export type PropertyMap = Map<string, PropertyValue>

// sdk/go/common/resource/sig and properties.go :: UnknownStringValue.
const SIG = '4dabf18193072939515e22adb298388d'
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270'
const ASSET_SIG = 'c44067f5952c0a294b673a41bacd8c17'
const ARCHIVE_SIG = '0def7320c3a5731c473e5ecbe6d01bc7'
const REF_SIG = '5cf8f73096256a8f31e491e813e4eb8e'
const UNKNOWN = '04da6b54-80e4-46f7-96ec-b56ff0331ba9'

export const NULL: PropertyValue = { k: 'null' }

export function fromJson(value: unknown): PropertyValue {
  if (value === null || value === undefined) return NULL
  if (typeof value === 'boolean') return { k: 'bool', v: value }
  if (typeof value === 'number') return { k: 'number', v: value }
  if (typeof value === 'string') return value === UNKNOWN ? { k: 'computed' } : { k: 'string', v: value }
  if (Array.isArray(value)) return { k: 'array', v: value.map(fromJson) }
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>
    switch (o[SIG]) {
      case SECRET_SIG:
        // Stored events carry blinded secrets (ciphertext "[secret]"); the CLI's blinding decrypter yields text
        // that is not JSON, so the whole property map fails to deserialize and is shown empty.
        if (typeof o.plaintext !== 'string') throw new UndecodableSecret()
        JSON.parse(o.plaintext)
        return { k: 'secret' }
      case ASSET_SIG:
        return { k: 'asset', v: o }
      case ARCHIVE_SIG:
        return { k: 'archive', v: o }
      case REF_SIG:
        return {
          k: 'ref',
          urn: String(o.urn ?? ''),
          id: fromJson(o.id),
          packageVersion: String(o.packageVersion ?? ''),
        }
    }
    return { k: 'object', v: mapFromJson(o) }
  }
  return { k: 'string', v: String(value) }
}

/** resource.NewPropertyValue: plain JSON (a JSON or YAML document inside a string), no signatures. */
export function plainValue(value: unknown): PropertyValue {
  if (value === null || value === undefined) return NULL
  if (typeof value === 'boolean') return { k: 'bool', v: value }
  if (typeof value === 'number') return { k: 'number', v: value }
  if (typeof value === 'string') return { k: 'string', v: value }
  if (Array.isArray(value)) return { k: 'array', v: value.map(plainValue) }
  if (value instanceof Date) return { k: 'string', v: value.toISOString() }
  if (typeof value === 'object') {
    return { k: 'object', v: new Map(Object.entries(value).map(([k, v]) => [k, plainValue(v)])) }
  }
  return { k: 'string', v: String(value) }
}

class UndecodableSecret extends Error {}

/**
 * A step's inputs or outputs. Like DeserializeProperties under the CLI's blinding decrypter (display/events.go ::
 * convertJSONStepEventStateMetadata, which ignores the error), a map holding an undecodable secret is empty.
 */
export function mapFromJson(value: unknown): PropertyMap {
  const map: PropertyMap = new Map()
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    try {
      for (const [key, v] of Object.entries(value)) map.set(key, fromJson(v))
    } catch {
      return new Map()
    }
  }
  return map
}

/** Go's sort.Strings order (bytewise; the same as UTF-16 order for the keys engines send). */
export function stableKeys(map: PropertyMap): string[] {
  return [...map.keys()].sort()
}

/** resource.IsInternalPropertyKey */
export const isInternalKey = (key: string) => key.startsWith('__')

export function isPrimitive(v: PropertyValue): boolean {
  return ['null', 'string', 'number', 'bool', 'computed', 'secret'].includes(v.k)
}

/** object_diff.go :: shouldPrintPropertyValue (no output values exist in stored events). */
export function shouldPrint(v: PropertyValue): boolean {
  if (v.k === 'null') return false
  if (v.k === 'string' && v.v === '') return false
  if (v.k === 'array' && v.v.length === 0) return false
  if (v.k === 'object' && v.v.size === 0) return false
  return true
}

export function deepEquals(a: PropertyValue, b: PropertyValue): boolean {
  if (a.k === 'array') {
    return (
      b.k === 'array' &&
      a.v.length === b.v.length &&
      a.v.every((x, i) => deepEquals(x, b.v[i] as PropertyValue))
    )
  }
  if (a.k === 'object') return b.k === 'object' && mapsEqual(a.v, b.v)
  if (a.k !== b.k) return false
  switch (a.k) {
    case 'bool':
    case 'number':
    case 'string':
      return a.v === (b as typeof a).v
    case 'asset':
    case 'archive':
      return JSON.stringify(a.v) === JSON.stringify((b as typeof a).v)
    case 'ref':
      return a.urn === (b as typeof a).urn && deepEquals(a.id, (b as typeof a).id)
    default:
      return true
  }
}

function mapsEqual(a: PropertyMap, b: PropertyMap): boolean {
  for (const [k, v] of a) {
    const other = b.get(k)
    if (other ? !deepEquals(v, other) : v.k !== 'null') return false
  }
  for (const [k, v] of b) if (!a.has(k) && v.k !== 'null') return false
  return true
}

export interface ObjectDiff {
  adds: PropertyMap
  deletes: PropertyMap
  sames: PropertyMap
  updates: Map<string, ValueDiff>
}

export interface ArrayDiff {
  adds: Map<number, PropertyValue>
  deletes: Map<number, PropertyValue>
  sames: Map<number, PropertyValue>
  updates: Map<number, ValueDiff>
}

export interface ValueDiff {
  old: PropertyValue
  new: PropertyValue
  array?: ArrayDiff | undefined
  object?: ObjectDiff | undefined
}

export const emptyObjectDiff = (): ObjectDiff => ({
  adds: new Map(),
  deletes: new Map(),
  sames: new Map(),
  updates: new Map(),
})

export const emptyArrayDiff = (): ArrayDiff => ({
  adds: new Map(),
  deletes: new Map(),
  sames: new Map(),
  updates: new Map(),
})

export function diffKeys(diff: ObjectDiff): string[] {
  return [...diff.adds.keys(), ...diff.deletes.keys(), ...diff.sames.keys(), ...diff.updates.keys()].sort()
}

export function anyChanges(diff: ObjectDiff | undefined): boolean {
  return !!diff && diff.adds.size + diff.deletes.size + diff.updates.size > 0
}

export function arrayDiffLength(diff: ArrayDiff): number {
  let length = 0
  for (const part of [diff.adds, diff.deletes, diff.sames, diff.updates]) {
    for (const i of part.keys()) length = Math.max(length, i + 1)
  }
  return length
}

/** PropertyMap.Diff: undefined when nothing was added, deleted or updated. Internal keys are ignored. */
export function diffMaps(olds: PropertyMap, news: PropertyMap): ObjectDiff | undefined {
  const diff = emptyObjectDiff()
  for (const [k, old] of olds) {
    if (isInternalKey(k)) continue
    const next = news.get(k)
    if (next !== undefined) {
      if (diffValues(old, next)) {
        if (old.k === 'null') diff.adds.set(k, next)
        else if (next.k === 'null') diff.deletes.set(k, old)
        else diff.updates.set(k, diffValues(old, next) as ValueDiff)
      } else diff.sames.set(k, old)
    } else if (old.k !== 'null') diff.deletes.set(k, old)
  }
  for (const [k, next] of news) {
    if (!isInternalKey(k) && !olds.has(k) && next.k !== 'null') diff.adds.set(k, next)
  }
  return anyChanges(diff) ? diff : undefined
}

/** PropertyValue.Diff */
export function diffValues(old: PropertyValue, next: PropertyValue): ValueDiff | undefined {
  if (old.k === 'array' && next.k === 'array') {
    const array = emptyArrayDiff()
    for (let i = old.v.length; i < next.v.length; i++) array.adds.set(i, next.v[i] as PropertyValue)
    for (let i = next.v.length; i < old.v.length; i++) array.deletes.set(i, old.v[i] as PropertyValue)
    for (let i = 0; i < old.v.length && i < next.v.length; i++) {
      const d = diffValues(old.v[i] as PropertyValue, next.v[i] as PropertyValue)
      if (d) array.updates.set(i, d)
      else array.sames.set(i, old.v[i] as PropertyValue)
    }
    if (array.adds.size + array.deletes.size + array.updates.size === 0) return undefined
    return { old, new: next, array }
  }
  if (old.k === 'object' && next.k === 'object') {
    const object = diffMaps(old.v, next.v)
    return object ? { old, new: next, object } : undefined
  }
  return deepEquals(old, next) ? undefined : { old, new: next }
}
