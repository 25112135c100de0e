// Journal wire types, mirroring pulumi sdk/go/common/apitype/journal.go (JournalEntry, JournalEntries) and the
// two core.go shapes that only journal entries carry in typed form (SnippetV1, Extension).
import { Type } from 'typebox'
import type { DeploymentV3, OperationV2, ResourceV3, SecretsProvidersV1 } from './core.js'
import { SafeInteger } from './safe-integer.js'

/** apitype.JournalEntryKind. */
export const JournalEntryKind = {
  Begin: 0,
  Success: 1,
  Failure: 2,
  RefreshSuccess: 3,
  Outputs: 4,
  Write: 5,
  SecretsManager: 6,
  RebuiltBaseState: 7,
  ExtensionParameterize: 8,
  Snippets: 9,
} as const
export type JournalEntryKind = (typeof JournalEntryKind)[keyof typeof JournalEntryKind]

/** apitype.SnippetV1: a PCL snippet stored in the deployment; `references` values are URNs. */
export interface SnippetV1 {
  uuid: string
  name: string
  type: string
  code: string
  descriptor: Record<string, unknown>
  references?: Record<string, string>
  [key: string]: unknown
}

/** apitype.Extension: an extension blob (`value` is base64, as Go encodes []byte). */
export interface ExtensionV1 {
  name: string
  version: string
  value: string | null
  [key: string]: unknown
}

/**
 * apitype.JournalEntry. `removeOld`/`removeNew` have no omitempty in Go, so the CLI always sends them (null when
 * unset); every other optional field is omitempty.
 */
export interface JournalEntry {
  /** Entry format version; always 1. */
  version: number
  kind: JournalEntryKind
  /** Strictly increasing per update, starting at 1. */
  sequenceID: number
  /** Groups a Begin with its Success/Failure/RefreshSuccess; 0 for Write, SecretsManager, RebuiltBaseState, Snippets. */
  operationID: number
  /** Index into the base resource list. */
  removeOld: number | null
  /** Operation id of a resource added earlier in this update. */
  removeNew: number | null
  pendingReplacementOld?: number
  pendingReplacementNew?: number
  deleteOld?: number
  deleteNew?: number
  state?: ResourceV3
  operation?: OperationV2
  isRefresh?: boolean
  secretsProvider?: SecretsProvidersV1
  snippets?: SnippetV1[]
  newSnapshot?: DeploymentV3
  extensionRef?: string
  extension?: ExtensionV1
  requiresByteString?: boolean
}

/** apitype.JournalEntries: the body of `PATCH …/update/{id}/journalentries`. */
export interface JournalEntries {
  entries?: JournalEntry[]
}

// Permissive request-body schema: it checks the envelope and scalar field types only. Resource states, operations
// and snapshots stay opaque objects (they can be large; parseJournalEntries checks the fields the replayer reads),
// and unknown keys are allowed so a newer CLI adding fields is not rejected.
const optionalInt = Type.Optional(Type.Union([SafeInteger(), Type.Null()]))
const opaqueObject = Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]))

export const JournalEntrySchema = Type.Object({
  version: SafeInteger(),
  kind: SafeInteger({ minimum: 0, maximum: 9 }),
  sequenceID: SafeInteger({ minimum: 1 }),
  operationID: SafeInteger(),
  removeOld: optionalInt,
  removeNew: optionalInt,
  pendingReplacementOld: optionalInt,
  pendingReplacementNew: optionalInt,
  deleteOld: optionalInt,
  deleteNew: optionalInt,
  state: opaqueObject,
  operation: opaqueObject,
  isRefresh: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  secretsProvider: opaqueObject,
  snippets: Type.Optional(Type.Union([Type.Array(Type.Unknown()), Type.Null()])),
  newSnapshot: opaqueObject,
  extensionRef: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  extension: opaqueObject,
  requiresByteString: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
})

export const JournalEntriesSchema = Type.Object({
  entries: Type.Optional(Type.Union([Type.Array(JournalEntrySchema), Type.Null()])),
})
