// Server-side journal replay: rebuilds a stack's deployment from the base deployment of an update plus the journal
// entries the CLI sent. Mirrors pkg/backend/journal.go :: JournalReplayer (Add, GenerateDeployment,
// rebuildDependencies, undangleParentResources), pkg/resource/stack/deployment.go :: ApplyFeatures and
// sdk/go/common/apitype/core.go :: DeploymentV3.NormalizeURNReferences. See protocol.md §7.5.
import { createHash } from 'node:crypto'
import type {
  DeploymentV3,
  ManifestV1,
  OperationV2,
  ResourceV3,
  SecretsProvidersV1,
  UntypedDeployment,
} from '../apitype/core.js'
import { type ExtensionV1, type JournalEntry, JournalEntryKind, type SnippetV1 } from '../apitype/journal.js'
import { InvalidError } from '../errors.js'

// apitype.DeploymentSchemaVersionCurrent / DeploymentSchemaVersionLatest.
const SCHEMA_VERSION_CURRENT = 3
const SCHEMA_VERSION_LATEST = 4

const ROOT_STACK_TYPE = 'pulumi:pulumi:Stack'
const URN_PREFIX = 'urn:pulumi:'
const URN_NAME_DELIMITER = '::'
// providers.UnknownID: what providers.NewReference substitutes for an empty provider ID.
const UNKNOWN_PROVIDER_ID = '04da6b54-80e4-46f7-96ec-b56ff0331ba9'
const MAX_KIND = JournalEntryKind.Snippets

export interface GenerateOptions {
  /** Manifest time (Go: time.Now()). */
  now: Date
  /** Manifest version (Go: version.Version of the CLI; take it from the User-Agent). */
  cliVersion: string
}

/**
 * Incremental mirror of the CLI's JournalReplayer. `add` is O(1) per entry (apart from RebuiltBaseState, which is
 * O(resources) as in Go) and never copies resource states; `generate` builds a fresh deployment in O(resources),
 * copying (shallowly) only the objects it changes. The result shares unchanged objects with the replayer and the
 * entries: treat it as read-only (serialize it).
 */
export class JournalReplayer {
  private base: DeploymentV3
  private newResources: ResourceV3[] = []
  // Operation id -> position in newResources (Go: operationIDToResourceIndex).
  private opToIndex = new Map<number, number>()
  // Go's `index` counter. Deliberately NOT reset by RebuiltBaseState, exactly like journal.go (protocol.md §7.5
  // proposes resetting it; the Go code wins).
  private index = 0
  private toRemove = new Set<number>()
  private toDeleteInSnapshot = new Set<number>()
  private toReplaceInSnapshot = new Map<number, ResourceV3>()
  private markAsDeletion = new Set<number>()
  private markAsPendingReplacement = new Set<number>()
  // Begun but not finished operations. Go iterates a map here (random order); insertion order is our choice.
  private incompleteOps = new Map<number, OperationV2 | undefined>()
  private hasRefresh = false
  private requiresByteString = false
  private extensions = new Map<string, ExtensionV1>()
  private lastSeq = 0

  constructor(base: UntypedDeployment | undefined) {
    // Shallow copy so that SecretsManager/Snippets entries never write into the caller's object.
    this.base = { ...(base?.deployment ?? {}) }
  }

  /** The sequenceID of the last entry added (0 if none); lets a caller detect out-of-order arrival and rebuild. */
  get lastSequenceID(): number {
    return this.lastSeq
  }

  /** Applies one entry (journal.go :: JournalReplayer.Add). Validates before mutating, so a throw leaves no trace. */
  add(entry: JournalEntry): void {
    const kind = entry.kind
    if (!Number.isInteger(kind) || kind < 0 || kind > MAX_KIND) {
      // Go silently ignores unknown kinds; a server must not guess what a newer CLI meant.
      throw new InvalidError(
        `journal entry with sequenceID ${entry.sequenceID}: unknown kind ${String(kind)}`,
      )
    }
    checkEntryPayload(entry, `journal entry with sequenceID ${entry.sequenceID}`)
    // Go records this first, before applying the entry (it matters for the deployment RebuiltBaseState builds).
    if (entry.requiresByteString === true) this.requiresByteString = true
    switch (kind) {
      case JournalEntryKind.Begin:
        this.incompleteOps.set(entry.operationID, entry.operation ?? undefined)
        break
      case JournalEntryKind.Success:
        this.addSuccess(entry)
        break
      case JournalEntryKind.Failure:
        // Failure entries may carry a state and remove* fields; the Go replayer ignores all of them.
        this.incompleteOps.delete(entry.operationID)
        break
      case JournalEntryKind.RefreshSuccess:
        this.addRefreshSuccess(entry)
        break
      case JournalEntryKind.Outputs:
        this.addOutputs(entry)
        break
      case JournalEntryKind.Write:
        // Go: r.base = entry.NewSnapshot. Copied shallowly because later entries assign fields on the base.
        this.base = { ...(entry.newSnapshot as DeploymentV3) }
        break
      case JournalEntryKind.SecretsManager: {
        const provider = entry.secretsProvider as SecretsProvidersV1
        const current = this.base.secrets_providers
        // Go keeps the base provider when type and raw state bytes are equal; comparing our re-serialized JSON is
        // the closest equivalent (a difference in key order makes Go replace it too).
        if (
          current != null &&
          current.type === provider.type &&
          JSON.stringify(current.state) === JSON.stringify(provider.state)
        ) {
          break
        }
        this.base.secrets_providers = provider
        break
      }
      case JournalEntryKind.Snippets:
        // An absent list clears the snippets, as Go assigns a nil slice.
        if (entry.snippets == null) delete this.base.snippets
        else this.base.snippets = entry.snippets
        break
      case JournalEntryKind.RebuiltBaseState: {
        // Go: the current state becomes the new base and the journal so far is discarded (after a refresh).
        // hasRefresh, requiresByteString and the index counter survive.
        const rebuilt = this.build(undefined)
        this.base = rebuilt.deployment
        this.newResources = []
        this.opToIndex = new Map()
        this.toRemove = new Set()
        this.toDeleteInSnapshot = new Set()
        this.toReplaceInSnapshot = new Map()
        this.markAsDeletion = new Set()
        this.markAsPendingReplacement = new Set()
        this.incompleteOps = new Map()
        this.extensions = new Map()
        break
      }
      case JournalEntryKind.ExtensionParameterize:
        this.extensions.set(entry.extensionRef as string, entry.extension as ExtensionV1)
        break
    }
    this.lastSeq = entry.sequenceID
  }

  private addSuccess(entry: JournalEntry): void {
    const what = `journal entry with sequenceID ${entry.sequenceID}`
    // Go appends the state before resolving deleteNew/pendingReplacementNew, so an entry may refer to itself.
    const ownIndex = entry.state != null ? this.index : undefined
    const lookup = (op: number, field: string): number => {
      const idx = op === entry.operationID && ownIndex !== undefined ? ownIndex : this.opToIndex.get(op)
      if (idx === undefined) {
        throw new InvalidError(`${what}: ${field} ${op} names an operation that produced no resource`)
      }
      return idx
    }
    // deleteNew/pendingReplacementNew index the list directly (Go panics past the end, which is only reachable
    // after RebuiltBaseState since Go's index counter is not reset); removeNew is only resolved by generate.
    const slot = (op: number, field: string): number => {
      const idx = lookup(op, field)
      if (idx >= this.newResources.length + (ownIndex !== undefined ? 1 : 0)) {
        throw new InvalidError(`${what}: ${field} ${op} refers past the end of the new resources`)
      }
      return idx
    }
    if (entry.removeNew != null) lookup(entry.removeNew, 'removeNew')
    const deleteIdx = entry.deleteNew != null ? slot(entry.deleteNew, 'deleteNew') : undefined
    const pendingIdx =
      entry.pendingReplacementNew != null
        ? slot(entry.pendingReplacementNew, 'pendingReplacementNew')
        : undefined

    this.incompleteOps.delete(entry.operationID)
    if (entry.state != null) {
      this.newResources.push(entry.state)
      this.opToIndex.set(entry.operationID, this.index)
      this.index++
    }
    if (entry.removeOld != null) this.toDeleteInSnapshot.add(entry.removeOld)
    if (entry.removeNew != null) this.toRemove.add(entry.removeNew)
    if (entry.deleteOld != null) this.markAsDeletion.add(entry.deleteOld)
    // Go sets the flag through the pointer; we replace the slot with a flagged shallow copy instead of writing into
    // the caller's entry. Same effect: a later Outputs/RefreshSuccess replacing the slot drops the flag in both.
    if (deleteIdx !== undefined) this.flagNew(deleteIdx, 'delete')
    if (entry.pendingReplacementOld != null) this.markAsPendingReplacement.add(entry.pendingReplacementOld)
    if (pendingIdx !== undefined) this.flagNew(pendingIdx, 'pendingReplacement')
    if (entry.isRefresh === true) this.hasRefresh = true
  }

  private flagNew(idx: number, flag: 'delete' | 'pendingReplacement'): void {
    const res = this.newResources[idx] as ResourceV3
    if (res[flag] !== true) this.newResources[idx] = { ...res, [flag]: true }
  }

  private addRefreshSuccess(entry: JournalEntry): void {
    const idx =
      entry.removeNew != null ? this.requireNew(entry, entry.removeNew, entry.state != null) : undefined
    this.incompleteOps.delete(entry.operationID)
    this.hasRefresh = true
    if (entry.removeOld != null) {
      if (entry.state == null) this.toDeleteInSnapshot.add(entry.removeOld)
      else this.toReplaceInSnapshot.set(entry.removeOld, entry.state)
    }
    if (entry.removeNew != null) {
      if (entry.state == null) this.toRemove.add(entry.removeNew)
      else this.newResources[idx as number] = entry.state
    }
  }

  private addOutputs(entry: JournalEntry): void {
    // Outputs has its own operation id and does not touch incompleteOps.
    if (entry.state == null) return
    const idx = entry.removeNew != null ? this.requireNew(entry, entry.removeNew, true) : undefined
    if (entry.removeOld != null) this.toReplaceInSnapshot.set(entry.removeOld, entry.state)
    if (idx !== undefined) this.newResources[idx] = entry.state
  }

  // Go reads operationIDToResourceIndex with the zero-value fallback (index 0), and panics when it indexes past the
  // end of the list (`indexes`: the entry replaces that slot); both are protocol violations for us.
  private requireNew(entry: JournalEntry, op: number, indexes: boolean): number {
    const idx = this.opToIndex.get(op)
    if (idx === undefined) {
      throw new InvalidError(
        `journal entry with sequenceID ${entry.sequenceID}: removeNew ${op} names an operation that produced no resource`,
      )
    }
    if (indexes && idx >= this.newResources.length) {
      throw new InvalidError(
        `journal entry with sequenceID ${entry.sequenceID}: removeNew ${op} refers past the end of the new resources`,
      )
    }
    return idx
  }

  /** The deployment as of the entries added so far (journal.go :: GenerateDeployment). Does not mutate anything. */
  generate(options: GenerateOptions): UntypedDeployment {
    const manifest: ManifestV1 = {
      time: formatGoTime(options.now),
      magic: manifestMagic(options.cliVersion),
      version: options.cliVersion,
    }
    const { deployment, features } = this.build(manifest)
    const out: UntypedDeployment = {
      version: features.length > 0 ? SCHEMA_VERSION_LATEST : SCHEMA_VERSION_CURRENT,
    }
    if (features.length > 0) out.features = features
    out.deployment = deployment
    return out
  }

  private build(manifest: ManifestV1 | undefined): { deployment: DeploymentV3; features: string[] } {
    const features = new Set<string>()
    const byteString = this.requiresByteString

    const removeIndices = new Set<number>()
    for (const op of this.toRemove) {
      const idx = this.opToIndex.get(op)
      if (idx !== undefined) removeIndices.add(idx)
    }

    let resources: ResourceV3[] = []
    this.newResources.forEach((res, i) => {
      if (removeIndices.has(i)) return
      resources.push(res)
      applyFeatures(res, byteString, features)
    })

    // Base resources not produced by this update, in base order (the lists are topologically sorted).
    const baseResources = this.base.resources ?? []
    baseResources.forEach((res, i) => {
      if (this.toDeleteInSnapshot.has(i)) return
      const replacement = this.toReplaceInSnapshot.get(i)
      if (replacement !== undefined) {
        // The pending-replacement mark is not carried onto the replacement state, as in Go.
        resources.push(replacement)
        applyFeatures(replacement, byteString, features)
        return
      }
      const pending = this.markAsPendingReplacement.has(i)
      const deleted = this.markAsDeletion.has(i)
      const copy = pending || deleted ? { ...res } : res
      if (pending) copy.pendingReplacement = true
      if (deleted) copy.delete = true
      resources.push(copy)
      applyFeatures(copy, byteString, features)
    })

    const operations: OperationV2[] = []
    for (const op of this.incompleteOps.values()) {
      if (op == null) continue
      operations.push(op)
      applyFeatures(op.resource, byteString, features)
    }
    // Pending creates from the base are kept: they need user intervention to resolve. Other kinds are dropped.
    for (const op of this.base.pending_operations ?? []) {
      if (op.type !== 'creating') continue
      operations.push(op)
      applyFeatures(op.resource, byteString, features)
    }

    // Features are collected above, before the dependency rebuild: a replaceWith list pruned to nothing still
    // counts, exactly as in Go.
    if (this.hasRefresh) resources = rebuildDependencies(resources)

    // Field order follows apitype.DeploymentV3; omitempty fields are left out when empty. metadata is a struct in
    // Go, so it is always written.
    const deployment: DeploymentV3 = {}
    if (manifest !== undefined) deployment.manifest = manifest
    if (this.base.secrets_providers != null) deployment.secrets_providers = this.base.secrets_providers
    if (resources.length > 0) deployment.resources = resources
    if (operations.length > 0) deployment.pending_operations = operations
    deployment.metadata = this.base.metadata ?? {}
    const snippets = this.base.snippets
    if (snippets != null && snippets.length > 0) deployment.snippets = snippets
    // Entry extensions first, then the base's: the base wins on a key clash (maps.Copy(extensions, base)).
    const merged = new Map<string, unknown>(this.extensions)
    for (const [ref, ext] of Object.entries(this.base.extensions ?? {})) merged.set(ref, ext)
    if (merged.size > 0) {
      // Go's encoding/json writes map keys sorted.
      const extensions: Record<string, unknown> = {}
      for (const ref of [...merged.keys()].sort()) extensions[ref] = merged.get(ref)
      deployment.extensions = extensions
    }

    if (snippets != null && snippets.length > 0) features.add('snippets-prototype')

    normalizeURNReferences(deployment)
    return { deployment, features: [...features].sort() }
  }
}

// pkg/resource/stack/deployment.go :: ApplyFeatures.
function applyFeatures(res: ResourceV3 | undefined, byteString: boolean, features: Set<string>): void {
  if (byteString) features.add('byteString')
  if (res == null) return
  if (res.refreshBeforeUpdate === true) features.add('refreshBeforeUpdate')
  if (isNonEmptyString(res.viewOf)) features.add('views')
  if (res.resourceHooks != null && Object.keys(res.resourceHooks).length > 0) features.add('hooks')
  if (res.taint === true) features.add('taint')
  if (Array.isArray(res.replaceWith) && res.replaceWith.length > 0) features.add('replaceWith')
  if (isNonEmptyString(res.extensionRef)) features.add('extensionParameterization')
  if (isNonEmptyString(res.snippetID)) features.add('snippets-prototype')
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== ''
}

/** Sets `key` on a resource, deleting it when the value is Go's zero value (omitempty). */
function setOrOmit(res: ResourceV3, key: string, value: unknown): void {
  if (value === '' || value === undefined || (Array.isArray(value) && value.length === 0)) delete res[key]
  else res[key] = value
}

// journal.go :: rebuildDependencies + undangleParentResources. Refreshes can delete resources that others still
// reference: drop references to URNs not seen earlier in the (topologically sorted) list, and parents not present
// at all. Returns a new array; changed resources are shallow copies.
function rebuildDependencies(resources: ResourceV3[]): ResourceV3[] {
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
function normalizeURNReferences(deployment: DeploymentV3): void {
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
      const parentType = urnQualifiedType(parent)
      if (parentType !== ROOT_STACK_TYPE) {
        aliased.set(
          res.urn,
          newURN(urnStack(res.urn), urnProject(res.urn), parentType, urnType(res.urn), urnName(res.urn)),
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

// core.go fixProvider: providers.ParseReference + NewReference. Go asserts these succeed (it panics on a malformed
// reference); an empty provider ID comes back as UnknownID.
function fixProviderReference(provider: string, fix: (urn: string) => string): string {
  if (provider === '') return provider
  const sep = provider.lastIndexOf(URN_NAME_DELIMITER)
  if (sep === -1) {
    throw new InvalidError(`malformed provider reference: ${provider}`)
  }
  const urn = provider.slice(0, sep)
  const id = provider.slice(sep + URN_NAME_DELIMITER.length)
  checkProviderURN(urn, provider)
  const fixed = fix(urn)
  if (fixed !== urn) checkProviderURN(fixed, provider)
  return `${fixed}${URN_NAME_DELIMITER}${id === '' ? UNKNOWN_PROVIDER_ID : id}`
}

// sdk/go/common/providers/reference.go :: validateURN.
function checkProviderURN(urn: string, provider: string): void {
  if (!urn.startsWith(URN_PREFIX) || countNonOverlapping(urn, URN_NAME_DELIMITER) < 3) {
    throw new InvalidError(`malformed provider reference: ${provider}: ${urn} is not a valid URN`)
  }
  // tokens.Type.Module()/Name(): module = up to the second ':', name = the rest.
  const type = urnType(urn)
  const first = type.indexOf(':')
  const second = first === -1 ? -1 : type.indexOf(':', first + 1)
  if (second === -1 || type.slice(0, second) !== 'pulumi:providers' || type.slice(second + 1) === '') {
    throw new InvalidError(`malformed provider reference: ${provider}: not a provider type`)
  }
}

function countNonOverlapping(s: string, sub: string): number {
  let n = 0
  for (let i = s.indexOf(sub); i !== -1; i = s.indexOf(sub, i + sub.length)) n++
  return n
}

// sdk/go/common/resource/urn/urn.go accessors. URNName asserts the prefix (Go panics otherwise).
function urnBody(urn: string): string {
  if (!urn.startsWith(URN_PREFIX))
    throw new InvalidError(`failed to normalize URN references: invalid URN '${urn}'`)
  return urn.slice(URN_PREFIX.length)
}

// urn.go :: getComponentN, including its handling of runs of ':'.
function urnComponent(body: string, index: number, open: boolean): string {
  if (open && index === 0) return body
  let delimiters = 0
  let start = 0
  for (let i = 0; i < body.length; i++) {
    if (body.startsWith(URN_NAME_DELIMITER, i)) {
      delimiters++
      if (delimiters === index) {
        i += URN_NAME_DELIMITER.length
        start = i
        if (open) return body.slice(start)
        i--
      } else if (delimiters > index) {
        return body.slice(start, i)
      } else {
        i += URN_NAME_DELIMITER.length - 1
      }
    }
  }
  return body.slice(start)
}

const urnStack = (urn: string) => urnComponent(urnBody(urn), 0, false)
const urnProject = (urn: string) => urnComponent(urnBody(urn), 1, false)
const urnQualifiedType = (urn: string) => urnComponent(urnBody(urn), 2, false)
const urnName = (urn: string) => urnComponent(urnBody(urn), 3, true)
function urnType(urn: string): string {
  const qualified = urnQualifiedType(urn)
  return qualified.slice(qualified.lastIndexOf('$') + 1)
}

// urn.go :: New.
function newURN(stack: string, project: string, parentType: string, baseType: string, name: string): string {
  const type = parentType !== '' && parentType !== ROOT_STACK_TYPE ? `${parentType}$${baseType}` : baseType
  return `${URN_PREFIX}${stack}${URN_NAME_DELIMITER}${project}${URN_NAME_DELIMITER}${type}${URN_NAME_DELIMITER}${name}`
}

// pkg/resource/deploy/manifest.go :: Manifest.NewMagic.
function manifestMagic(version: string): string {
  return version === '' ? '' : createHash('sha256').update(version).digest('hex')
}

// time.Time's JSON form (RFC3339Nano): fractional seconds without trailing zeros, none at all when zero.
function formatGoTime(date: Date): string {
  return date.toISOString().replace(/\.?0+Z$/, 'Z')
}

// ---------------------------------------------------------------------------------------------------------------
// Request validation.

/**
 * Validates a `PATCH …/journalentries` body (`{"entries": [...]}`, apitype.JournalEntries) — or a bare entry array —
 * and returns the entries. Checks every field's type and the fields the replayer relies on; resource states stay
 * opaque beyond the reference-bearing fields. JSON nulls in omitempty fields are treated as absent, as Go's decoder
 * does. Throws InvalidError naming the offending entry index.
 */
export function parseJournalEntries(value: unknown): JournalEntry[] {
  let list: unknown
  if (Array.isArray(value)) list = value
  else if (isObject(value)) list = value.entries ?? []
  else throw new InvalidError('journal entries: body must be an object with an "entries" array')
  if (!Array.isArray(list)) throw new InvalidError('journal entries: "entries" must be an array')
  return list.map((raw, i) => parseEntry(raw, `journal entry ${i}`))
}

function parseEntry(raw: unknown, where: string): JournalEntry {
  if (!isObject(raw)) throw new InvalidError(`${where}: must be an object`)
  if (raw.version !== 1) throw new InvalidError(`${where}: version must be 1, got ${describe(raw.version)}`)
  const kind = raw.kind
  if (!Number.isSafeInteger(kind) || (kind as number) < 0 || (kind as number) > MAX_KIND) {
    throw new InvalidError(
      `${where}: kind must be an integer between 0 and ${MAX_KIND}, got ${describe(kind)}`,
    )
  }
  const seq = raw.sequenceID
  if (!Number.isSafeInteger(seq) || (seq as number) < 1) {
    throw new InvalidError(`${where}: sequenceID must be a positive integer, got ${describe(seq)}`)
  }
  if (!Number.isSafeInteger(raw.operationID)) {
    throw new InvalidError(`${where}: operationID must be an integer, got ${describe(raw.operationID)}`)
  }
  const entry: JournalEntry = {
    version: 1,
    kind: kind as JournalEntryKind,
    sequenceID: seq as number,
    operationID: raw.operationID as number,
    removeOld: optionalInteger(raw, 'removeOld', where) ?? null,
    removeNew: optionalInteger(raw, 'removeNew', where) ?? null,
  }
  for (const key of ['pendingReplacementOld', 'pendingReplacementNew', 'deleteOld', 'deleteNew'] as const) {
    const v = optionalInteger(raw, key, where)
    if (v !== undefined) entry[key] = v
  }
  if (raw.state != null) {
    checkResource(raw.state, `${where}: state`)
    entry.state = raw.state as ResourceV3
  }
  if (raw.operation != null) {
    checkOperation(raw.operation, `${where}: operation`)
    entry.operation = raw.operation as OperationV2
  }
  for (const key of ['isRefresh', 'requiresByteString'] as const) {
    const v = raw[key]
    if (v == null) continue
    if (typeof v !== 'boolean')
      throw new InvalidError(`${where}: ${key} must be a boolean, got ${describe(v)}`)
    if (v) entry[key] = true
  }
  if (raw.secretsProvider != null) entry.secretsProvider = raw.secretsProvider as SecretsProvidersV1
  if (raw.snippets != null) entry.snippets = raw.snippets as SnippetV1[]
  if (raw.newSnapshot != null) entry.newSnapshot = raw.newSnapshot as DeploymentV3
  if (raw.extensionRef != null) entry.extensionRef = raw.extensionRef as string
  if (raw.extension != null) entry.extension = raw.extension as ExtensionV1
  checkEntryPayload(entry, where)
  return entry
}

/**
 * Checks the payload a kind needs (Go dereferences these pointers unconditionally and would panic) and the shapes
 * of the optional objects. Shared by parseJournalEntries and JournalReplayer.add.
 */
function checkEntryPayload(entry: JournalEntry, where: string): void {
  switch (entry.kind) {
    case JournalEntryKind.Write:
      if (!isObject(entry.newSnapshot)) throw new InvalidError(`${where}: a Write entry needs "newSnapshot"`)
      break
    case JournalEntryKind.SecretsManager:
      if (entry.secretsProvider == null) {
        throw new InvalidError(`${where}: a SecretsManager entry needs "secretsProvider"`)
      }
      break
    case JournalEntryKind.ExtensionParameterize:
      if (entry.extensionRef == null || entry.extension == null) {
        throw new InvalidError(
          `${where}: an ExtensionParameterize entry needs "extensionRef" and "extension"`,
        )
      }
      break
  }
  const sp = entry.secretsProvider
  if (sp != null && (!isObject(sp) || typeof sp.type !== 'string')) {
    throw new InvalidError(`${where}: secretsProvider must be an object with a string "type"`)
  }
  if (entry.extensionRef != null && typeof entry.extensionRef !== 'string') {
    throw new InvalidError(`${where}: extensionRef must be a string`)
  }
  if (entry.extension != null && !isObject(entry.extension)) {
    throw new InvalidError(`${where}: extension must be an object`)
  }
  if (entry.snippets != null) checkSnippets(entry.snippets, `${where}: snippets`)
  const snap = entry.newSnapshot
  if (snap != null) {
    if (!isObject(snap)) throw new InvalidError(`${where}: newSnapshot must be an object`)
    checkDeployment(snap, `${where}: newSnapshot`)
  }
}

function checkDeployment(snap: Record<string, unknown>, where: string): void {
  const resources = snap.resources
  if (resources != null) {
    if (!Array.isArray(resources)) throw new InvalidError(`${where}: resources must be an array`)
    for (const [i, r] of resources.entries()) checkResource(r, `${where}: resources[${i}]`)
  }
  const ops = snap.pending_operations
  if (ops != null) {
    if (!Array.isArray(ops)) throw new InvalidError(`${where}: pending_operations must be an array`)
    for (const [i, op] of ops.entries()) checkOperation(op, `${where}: pending_operations[${i}]`)
  }
  const sp = snap.secrets_providers
  if (sp != null && (!isObject(sp) || typeof sp.type !== 'string')) {
    throw new InvalidError(`${where}: secrets_providers must be an object with a string "type"`)
  }
  if (snap.snippets != null) checkSnippets(snap.snippets, `${where}: snippets`)
  if (snap.extensions != null && !isObject(snap.extensions)) {
    throw new InvalidError(`${where}: extensions must be an object`)
  }
  if (snap.metadata != null && !isObject(snap.metadata)) {
    throw new InvalidError(`${where}: metadata must be an object`)
  }
}

function checkOperation(op: unknown, where: string): void {
  if (!isObject(op)) throw new InvalidError(`${where}: must be an object`)
  if (typeof op.type !== 'string') throw new InvalidError(`${where}: type must be a string`)
  checkResource(op.resource, `${where}: resource`)
}

function checkSnippets(snippets: unknown, where: string): void {
  if (!Array.isArray(snippets)) throw new InvalidError(`${where}: must be an array`)
  snippets.forEach((s, i) => {
    if (!isObject(s)) throw new InvalidError(`${where}[${i}]: must be an object`)
    const refs = s.references
    if (refs != null && (!isObject(refs) || !Object.values(refs).every((u) => typeof u === 'string'))) {
      throw new InvalidError(`${where}[${i}]: references must map names to URN strings`)
    }
  })
}

const RESOURCE_STRING_FIELDS = ['parent', 'provider', 'deletedWith', 'viewOf', 'extensionRef', 'snippetID']
const RESOURCE_URN_LIST_FIELDS = ['dependencies', 'aliases', 'replaceWith']
const RESOURCE_BOOL_FIELDS = ['custom', 'delete', 'pendingReplacement', 'taint', 'refreshBeforeUpdate']

// Checks the fields the replayer reads or rewrites, so a bad state is rejected here rather than breaking replay.
function checkResource(res: unknown, where: string): void {
  if (!isObject(res)) throw new InvalidError(`${where}: must be an object`)
  if (typeof res.urn !== 'string') throw new InvalidError(`${where}: urn must be a string`)
  for (const key of RESOURCE_STRING_FIELDS) {
    if (res[key] != null && typeof res[key] !== 'string') {
      throw new InvalidError(`${where}: ${key} must be a string`)
    }
  }
  for (const key of RESOURCE_URN_LIST_FIELDS) {
    if (res[key] != null && !isStringArray(res[key])) {
      throw new InvalidError(`${where}: ${key} must be an array of strings`)
    }
  }
  for (const key of RESOURCE_BOOL_FIELDS) {
    if (res[key] != null && typeof res[key] !== 'boolean') {
      throw new InvalidError(`${where}: ${key} must be a boolean`)
    }
  }
  const propDeps = res.propertyDependencies
  // Go decodes null lists as empty ones (real exports contain `"prop": null`), so null is accepted everywhere.
  if (
    propDeps != null &&
    (!isObject(propDeps) || !Object.values(propDeps).every((l) => l === null || isStringArray(l)))
  ) {
    throw new InvalidError(`${where}: propertyDependencies must map property names to arrays of strings`)
  }
  if (res.resourceHooks != null && !isObject(res.resourceHooks)) {
    throw new InvalidError(`${where}: resourceHooks must be an object`)
  }
}

function optionalInteger(raw: Record<string, unknown>, key: string, where: string): number | undefined {
  const v = raw[key]
  if (v == null) return undefined
  if (!Number.isSafeInteger(v))
    throw new InvalidError(`${where}: ${key} must be an integer, got ${describe(v)}`)
  return v as number
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string')
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  const text = JSON.stringify(value)
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}
