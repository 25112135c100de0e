import { textValue } from '../db/text-value.js'

/** One resource of a stack's latest state, as search indexes and answers it. */
export interface IndexedResource {
  urn: string
  type: string
  name: string
  package: string
  module: string
  id: string
  custom: boolean
  protected: boolean
  parentUrn: string
  providerUrn: string
  dependencies: string[]
  createdAt: number
  modifiedAt: number
}

interface StateResource {
  urn?: unknown
  type?: unknown
  id?: unknown
  custom?: unknown
  protect?: unknown
  parent?: unknown
  provider?: unknown
  dependencies?: unknown
  created?: unknown
  modified?: unknown
  delete?: unknown
}

/**
 * The resources of a deployment text (apitype.DeploymentV3). Times come from the state's own `created` /
 * `modified` (the CLI has written them since v3.60); otherwise what the previous index knew, else `now`.
 */
export function resourcesOfState(
  text: Buffer,
  previous: ReadonlyMap<string, { createdAt: number; modifiedAt: number }>,
  now: number,
): IndexedResource[] {
  const parsed = JSON.parse(text.toString('utf8')) as { deployment?: { resources?: StateResource[] } }
  const out: IndexedResource[] = []
  const seen = new Set<string>()
  for (const resource of parsed.deployment?.resources ?? []) {
    const urn = str(resource.urn)
    // Resources pending deletion are not part of the stack any more (the Cloud indexes live resources).
    if (!urn || resource.delete === true || seen.has(urn)) continue
    seen.add(urn)
    const type = str(resource.type)
    const [pkg = '', mod = ''] = type.split(':')
    const before = previous.get(urn)
    out.push({
      urn,
      type,
      name: urn.slice(urn.lastIndexOf('::') + 2),
      package: pkg,
      module: mod.split('/')[0] ?? '',
      id: str(resource.id),
      custom: resource.custom === true,
      protected: resource.protect === true,
      parentUrn: str(resource.parent),
      providerUrn: str(resource.provider).replace(/::[^:]*$/, ''),
      dependencies: Array.isArray(resource.dependencies)
        ? resource.dependencies.filter(isString).map(str)
        : [],
      createdAt: time(resource.created) ?? before?.createdAt ?? now,
      modifiedAt: time(resource.modified) ?? before?.modifiedAt ?? now,
    })
  }
  return out
}

const isString = (v: unknown): v is string => typeof v === 'string'
// Index columns are text: a NUL (valid in a state) must not fail the write of the version (text-value.ts).
const str = (v: unknown): string => (typeof v === 'string' ? textValue(v) : '')

function time(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : at
}
