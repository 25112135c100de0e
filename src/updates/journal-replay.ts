// Server-side journal replay: rebuilds a stack's deployment from the base deployment of an update plus the journal
// entries the CLI sent. Mirrors pkg/backend/journal.go :: JournalReplayer (Add, GenerateDeployment) and
// pkg/resource/stack/deployment.go :: ApplyFeatures; URN references are fixed up by deployment-references.ts.
// See protocol.md §7.5.
import { createHash } from 'node:crypto'
import type {
  DeploymentV3,
  ManifestV1,
  OperationV2,
  ResourceV3,
  SecretsProvidersV1,
  UntypedDeployment,
} from '../apitype/core.js'
import { type ExtensionV1, type JournalEntry, JournalEntryKind } from '../apitype/journal.js'
import { InvalidError } from '../errors.js'
import { normalizeURNReferences, rebuildDependencies } from './deployment-references.js'
import { checkEntryPayload, MAX_JOURNAL_ENTRY_KIND } from './journal-entries.js'

// apitype.DeploymentSchemaVersionCurrent / DeploymentSchemaVersionLatest.
const SCHEMA_VERSION_CURRENT = 3
const SCHEMA_VERSION_LATEST = 4

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
    if (!Number.isInteger(kind) || kind < 0 || kind > MAX_JOURNAL_ENTRY_KIND) {
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
    this.checkBaseIndex(entry, 'removeOld')
    this.checkBaseIndex(entry, 'deleteOld')
    this.checkBaseIndex(entry, 'pendingReplacementOld')
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
    this.checkBaseIndex(entry, 'removeOld')
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
    this.checkBaseIndex(entry, 'removeOld')
    const idx = entry.removeNew != null ? this.requireNew(entry, entry.removeNew, true) : undefined
    if (entry.removeOld != null) this.toReplaceInSnapshot.set(entry.removeOld, entry.state)
    if (idx !== undefined) this.newResources[idx] = entry.state
  }

  // Indices into the current base's resources. Go skips ones that match no base resource (its maps are only read
  // while walking the base), so such an entry would silently do nothing: a protocol violation here, refused with
  // its batch before anything of it is applied or logged.
  private checkBaseIndex(
    entry: JournalEntry,
    field: 'removeOld' | 'deleteOld' | 'pendingReplacementOld',
  ): void {
    const index = entry[field]
    if (index == null) return
    const count = this.base.resources?.length ?? 0
    if (index < 0 || index >= count) {
      throw new InvalidError(
        `journal entry with sequenceID ${entry.sequenceID}: ${field} ${index} is outside the base state's ${count} resources`,
      )
    }
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

// pkg/resource/deploy/manifest.go :: Manifest.NewMagic.
function manifestMagic(version: string): string {
  return version === '' ? '' : createHash('sha256').update(version).digest('hex')
}

// time.Time's JSON form (RFC3339Nano): fractional seconds without trailing zeros, none at all when zero.
function formatGoTime(date: Date): string {
  return date.toISOString().replace(/\.?0+Z$/, 'Z')
}
