// URN references inside a replayed deployment: journal.go :: rebuildDependencies + undangleParentResources (after a
// refresh) and sdk/go/common/apitype/core.go :: DeploymentV3.NormalizeURNReferences (aliases). They copy what they
// change and never write into resources they were given.
import type { DeploymentV3, ResourceV3 } from '../apitype/core.js'
import type { SnippetV1 } from '../apitype/journal.js'
import { InvalidError } from '../errors.js'
import { formatProviderReference, parseProviderReference } from '../state/provider-reference.js'
import { newUrn, ROOT_STACK_TYPE, splitUrn, typeOfQualifiedType } from '../state/urn.js'

/** Sets `key` on a resource, deleting it when the value is Go's zero value (omitempty). */
function setOrOmit(res: ResourceV3, key: string, value: unknown): void {
  if (value === '' || value === undefined || (Array.isArray(value) && value.length === 0)) delete res[key]
  else res[key] = value
}

// journal.go :: rebuildDependencies + undangleParentResources. Refreshes can delete resources that others still
// reference: drop references to URNs not seen earlier in the (topologically sorted) list, and parents not present
// at all. Returns a new array; changed resources are shallow copies.
export function rebuildDependencies(resources: ResourceV3[]): ResourceV3[] {
  const referenceable = new Set<string>()
  const out = resources.map((res) => {
    let copy: ResourceV3 | undefined
    const edit = (key: string, value: unknown) => {
      copy ??= { ...res }
      setOrOmit(copy, key, value)
    }

    const deps = res.dependencies
    if (deps != null && deps.length > 0) {
      const kept = deps.filter((d) => referenceable.has(d))
      if (kept.length !== deps.length) edit('dependencies', kept)
    }

    const propDeps = res.propertyDependencies
    if (propDeps != null && Object.keys(propDeps).length > 0) {
      // Go rebuilds the map from scratch: keys whose list ends up empty (or was empty) disappear.
      const rebuilt: Record<string, string[]> = {}
      let changed = false
      for (const [key, list] of Object.entries(propDeps)) {
        const kept = (list ?? []).filter((d) => referenceable.has(d))
        if (kept.length > 0) rebuilt[key] = kept
        if (kept.length !== (list ?? []).length || kept.length === 0) changed = true
      }
      if (changed) edit('propertyDependencies', Object.keys(rebuilt).length > 0 ? rebuilt : undefined)
    }

    const replaceWith = res.replaceWith
    if (replaceWith != null && replaceWith.length > 0) {
      const kept = replaceWith.filter((d) => referenceable.has(d))
      if (kept.length !== replaceWith.length) edit('replaceWith', kept)
    }

    const deletedWith = res.deletedWith ?? ''
    if (deletedWith !== '' && !referenceable.has(deletedWith)) edit('deletedWith', '')

    referenceable.add(res.urn)
    return copy ?? res
  })

  // undangleParentResources: a parent absent from the list is replaced by availableParents[parent], which can only
  // hold listed URNs, so in practice it becomes "". Mirrored literally (keyed by each resource's original parent).
  const availableParents = new Map<string, string>()
  for (let i = 0; i < out.length; i++) {
    const res = out[i] as ResourceV3
    const parent = res.parent ?? ''
    if (!referenceable.has(parent)) {
      const replacement = availableParents.get(parent) ?? ''
      if (replacement !== parent) {
        const copy = { ...res }
        setOrOmit(copy, 'parent', replacement)
        out[i] = copy
      }
    }
    availableParents.set(res.urn, parent)
  }
  return out
}

// sdk/go/common/apitype/core.go :: DeploymentV3.NormalizeURNReferences. Rewrites URN references through the alias
// map and drops `aliases`. Works copy-on-write on `deployment.resources` / `deployment.snippets` (which are fresh
// arrays or shared base arrays that must not be written into).
export function normalizeURNReferences(deployment: DeploymentV3): void {
  const resources = deployment.resources ?? []
  const aliased = new Map<string, string>()
  for (const res of resources) {
    for (const alias of res.aliases ?? []) {
      const other = aliased.get(alias)
      if (other !== undefined && other !== res.urn) {
        throw new InvalidError(
          `failed to normalize URN references: two resources ('${other}' and '${res.urn}') have the same alias: '${alias}'`,
        )
      }
      aliased.set(alias, res.urn)
    }
    // A child of a renamed (non-root) parent gets a URN rebuilt under the parent's new qualified type.
    const parent = aliased.get(res.parent ?? '')
    if (parent !== undefined && parent !== '') {
      const parentType = splitUrn(parent).qualifiedType
      if (parentType !== ROOT_STACK_TYPE) {
        const own = splitUrn(res.urn)
        aliased.set(
          res.urn,
          newUrn(own.stack, own.project, parentType, typeOfQualifiedType(own.qualifiedType), own.name),
        )
      }
    }
  }

  const fix = (urn: string): string => aliased.get(urn) ?? urn
  const fixList = (list: string[] | null | undefined): string[] | undefined => {
    if (list == null || !list.some((u) => aliased.has(u))) return undefined
    return list.map(fix)
  }

  if (deployment.resources !== undefined) {
    deployment.resources = resources.map((res) => {
      let copy: ResourceV3 | undefined
      const edit = (key: string, value: unknown) => {
        copy ??= { ...res }
        setOrOmit(copy, key, value)
      }
      const urn = fix(res.urn)
      if (urn !== res.urn) edit('urn', urn)
      for (const key of ['parent', 'deletedWith', 'viewOf'] as const) {
        const before = res[key] ?? ''
        const after = fix(before)
        if (after !== before) edit(key, after)
      }
      const provider = res.provider ?? ''
      const fixedProvider = fixProviderReference(provider, fix)
      if (fixedProvider !== provider) edit('provider', fixedProvider)
      const deps = fixList(res.dependencies)
      if (deps !== undefined) edit('dependencies', deps)
      const propDeps = res.propertyDependencies
      if (propDeps != null) {
        let changed = false
        const fixed: Record<string, string[] | null> = {}
        for (const [key, list] of Object.entries(propDeps)) {
          const after = fixList(list)
          if (after !== undefined) changed = true
          fixed[key] = after ?? list
        }
        // Assigned directly: Go rewrites entries in place, so empty lists and keys stay as they were.
        if (changed) {
          copy ??= { ...res }
          copy.propertyDependencies = fixed
        }
      }
      // Aliases are never written out once normalisation is done (an empty list is dropped by omitempty too).
      if (res.aliases !== undefined) edit('aliases', undefined)
      return copy ?? res
    })
  }

  if (deployment.snippets !== undefined && aliased.size > 0) {
    deployment.snippets = deployment.snippets.map((raw) => {
      const snippet = raw as SnippetV1
      const refs = snippet.references
      if (refs == null || !Object.values(refs).some((u) => aliased.has(u))) return raw
      const fixed: Record<string, string> = {}
      for (const [key, urn] of Object.entries(refs)) fixed[key] = fix(urn)
      return { ...snippet, references: fixed }
    })
  }
}

// core.go fixProvider: providers.ParseReference + NewReference. Go asserts both succeed (it panics on a malformed
// reference); an empty provider ID comes back as UnknownID.
function fixProviderReference(provider: string, fix: (urn: string) => string): string {
  if (provider === '') return provider
  try {
    const ref = parseProviderReference(provider)
    const fixed = fix(ref.urn)
    return formatProviderReference(fixed, ref.id)
  } catch (error) {
    throw new InvalidError(`malformed provider reference ${provider}: ${(error as Error).message}`)
  }
}
