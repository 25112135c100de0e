import type { ResourceV3 } from '../apitype/core.js'

/** One property that differs between two versions of a resource, by path (`tags.env`, `ports[0]`). */
export interface PropertyChange {
  path: string
  before: unknown
  after: unknown
}

export interface ResourceChange {
  urn: string
  type: string
  changes: PropertyChange[]
}

export interface StateDiff {
  added: ResourceV3[]
  removed: ResourceV3[]
  changed: ResourceChange[]
}

/** Resources added, removed and changed (inputs, outputs, id, parent, provider, dependencies) between two states. */
export function diffStates(before: readonly ResourceV3[], after: readonly ResourceV3[]): StateDiff {
  const old = new Map(before.filter((r) => !r.delete).map((r) => [r.urn, r]))
  const now = new Map(after.filter((r) => !r.delete).map((r) => [r.urn, r]))
  const diff: StateDiff = { added: [], removed: [], changed: [] }
  for (const [urn, r] of now) {
    const was = old.get(urn)
    if (!was) {
      diff.added.push(r)
      continue
    }
    const changes: PropertyChange[] = []
    for (const field of ['id', 'parent', 'provider'] as const) {
      if ((was[field] ?? '') !== (r[field] ?? ''))
        changes.push({ path: field, before: was[field], after: r[field] })
    }
    compare('dependencies', was.dependencies ?? [], r.dependencies ?? [], changes)
    compare('inputs', was.inputs ?? {}, r.inputs ?? {}, changes)
    compare('outputs', outputsOf(was), outputsOf(r), changes)
    if (changes.length > 0) diff.changed.push({ urn, type: r.type, changes })
  }
  for (const [urn, r] of old) if (!now.has(urn)) diff.removed.push(r)
  return diff
}

function outputsOf(r: ResourceV3): unknown {
  return (r as { outputs?: unknown }).outputs ?? {}
}

function compare(path: string, a: unknown, b: unknown, out: PropertyChange[]): void {
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      compare(`${path}.${key}`, a[key], b[key], out)
    }
    return
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (const [i, item] of a.entries()) compare(`${path}[${i}]`, item, b[i], out)
    return
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, before: a, after: b })
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
