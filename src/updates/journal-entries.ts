// Request validation for `PATCH …/journalentries`: shapes and types of every entry, before anything is logged or
// replayed. Whether an entry fits the update's state (its indices) is journal-indices.ts's job.
import type { DeploymentV3, OperationV2, ResourceV3, SecretsProvidersV1 } from '../apitype/core.js'
import { type ExtensionV1, type JournalEntry, JournalEntryKind, type SnippetV1 } from '../apitype/journal.js'
import { InvalidError } from '../errors.js'
import { checkDeployment, checkOperation, checkResource, checkSnippets } from '../state/deployment-shape.js'
import { isValidUrn } from '../state/urn.js'

export const MAX_JOURNAL_ENTRY_KIND = JournalEntryKind.Snippets

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
  if (!Number.isSafeInteger(kind) || (kind as number) < 0 || (kind as number) > MAX_JOURNAL_ENTRY_KIND) {
    throw new InvalidError(
      `${where}: kind must be an integer between 0 and ${MAX_JOURNAL_ENTRY_KIND}, got ${describe(kind)}`,
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
    checkEngineUrns(raw.state as ResourceV3, `${where}: state`)
    entry.state = raw.state as ResourceV3
  }
  if (raw.operation != null) {
    checkOperation(raw.operation, `${where}: operation`)
    checkEngineUrns((raw.operation as OperationV2).resource, `${where}: operation: resource`)
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
export function checkEntryPayload(entry: JournalEntry, where: string): void {
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

// The engine only ever journals valid URNs; replay splits them (NormalizeURNReferences, where Go would panic on a
// missing prefix), so a state that is not one is refused with its batch rather than failing `complete`.
function checkEngineUrns(res: ResourceV3, where: string): void {
  if (!isValidUrn(res.urn)) throw new InvalidError(`${where}: urn ${describe(res.urn)} is not a valid URN`)
  if (res.parent != null && res.parent !== '' && !isValidUrn(res.parent)) {
    throw new InvalidError(`${where}: parent ${describe(res.parent)} is not a valid URN`)
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

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  const text = JSON.stringify(value)
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}
