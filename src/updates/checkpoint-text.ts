// Turns the three checkpoint request forms (protocol §4.5 L4/L5, §6) into stored checkpoint text, and
// stored text into what the server exports — by slicing raw bytes, never re-serialising the deployment,
// so that the CLI's delta baselines (and their hashes) stay byte-exact.
import { InvalidError } from '../errors.js'
import {
  arrayElementRanges,
  type ByteRange,
  jsonKind,
  type ObjectMember,
  objectMemberRanges,
  objectMembers,
  objectMembersWithNested,
  parseJsonRange,
  previewRange,
} from '../lib/raw-json.js'
import { applyCheckpointDelta, type CheckpointEdit } from './checkpoint-delta.js'

/** Top-level facts about an `UntypedDeployment` text `{"version":N[,"features":[…]],"deployment":{…}}`. */
export interface CheckpointTextInfo {
  version: number
  features: string[] | undefined
  deployment: ByteRange
}

/** The `untypedDeployment` of a verbatim checkpoint request (L5), byte-exact, with its envelope fields. */
export interface VerbatimDeployment {
  text: Buffer
  sequenceNumber: number
  version: number
}

// Readers accept schema versions 1–4 (pkg/resource/stack/deployment.go :: UnmarshalUntypedDeployment).
const MIN_SCHEMA_VERSION = 1
const MAX_SCHEMA_VERSION = 4
const CAMEL_PENDING = 'pendingOperations'
const SNAKE_PENDING = 'pending_operations'

/** Prefixes scanner errors with what was being read, so a 400 says which body was malformed. */
function inContext<T>(what: string, scan: () => T): T {
  try {
    return scan()
  } catch (error) {
    if (error instanceof InvalidError) throw new InvalidError(`${what}: ${error.message}`)
    throw error
  }
}

/** Go decodes `int` fields only from integer literals (no fraction or exponent), so we check the raw bytes. */
function readInteger(json: Buffer, range: ByteRange | undefined, what: string, name: string): number {
  if (range === undefined) throw new InvalidError(`${what}: missing "${name}"`)
  const raw = json.toString('latin1', range.start, range.end)
  const value = Number(raw)
  if (!/^-?(?:0|[1-9][0-9]*)$/.test(raw) || !Number.isSafeInteger(value)) {
    throw new InvalidError(`${what}: "${name}" must be an integer, got ${previewRange(json, range)}`)
  }
  return value
}

function readSchemaVersion(json: Buffer, range: ByteRange | undefined, what: string): number {
  const version = readInteger(json, range, what, 'version')
  if (version < MIN_SCHEMA_VERSION || version > MAX_SCHEMA_VERSION) {
    throw new InvalidError(
      `${what}: unsupported deployment schema version ${version} (expected ${MIN_SCHEMA_VERSION}–${MAX_SCHEMA_VERSION})`,
    )
  }
  return version
}

/** `features` is `[]string` with omitempty; Go also accepts `null` for a slice. */
function readFeatures(json: Buffer, range: ByteRange | undefined, what: string): string[] | undefined {
  if (range === undefined || jsonKind(json, range) === 'null') return undefined
  const features = jsonKind(json, range) === 'array' ? parseJsonRange(json, range) : undefined
  if (!Array.isArray(features) || !features.every((f) => typeof f === 'string')) {
    throw new InvalidError(`${what}: "features" must be an array of strings`)
  }
  return features
}

function requireObject(json: Buffer, range: ByteRange | undefined, what: string, name: string): ByteRange {
  if (range === undefined) throw new InvalidError(`${what}: missing "${name}"`)
  if (jsonKind(json, range) !== 'object') {
    throw new InvalidError(`${what}: "${name}" must be a JSON object, got ${jsonKind(json, range)}`)
  }
  return range
}

/** Last member per key wins, as in JSON.parse and Go's encoding/json. */
function lastByKey(members: readonly ObjectMember[]): Map<string, ByteRange> {
  const ranges = new Map<string, ByteRange>()
  for (const member of members) ranges.set(member.key, member.value)
  return ranges
}

function validateCheckpointText(text: Buffer, members: readonly ObjectMember[]): CheckpointTextInfo {
  const what = 'invalid checkpoint'
  const ranges = lastByKey(members)
  const version = readSchemaVersion(text, ranges.get('version'), what)
  const features = readFeatures(text, ranges.get('features'), what)
  const deployment = requireObject(text, ranges.get('deployment'), what, 'deployment')
  return { version, features, deployment }
}

/** Validates a stored/uploaded checkpoint text and locates its parts (one validating pass). */
export function describeCheckpointText(text: Buffer): CheckpointTextInfo {
  const members = inContext('invalid checkpoint', () => objectMembers(text))
  return validateCheckpointText(text, members)
}

function spliceEdit(start: number, end: number, newText: string): CheckpointEdit {
  return { Span: { start: { offset: start }, end: { offset: end } }, NewText: newText }
}

/**
 * Edits removing the members at `indexes` (ascending) from an object's member list, each with the comma that
 * separates it; consecutive removed members become one edit so the ranges never overlap.
 */
function memberRemovals(members: readonly ObjectMember[], indexes: readonly number[]): CheckpointEdit[] {
  const edits: CheckpointEdit[] = []
  let i = 0
  while (i < indexes.length) {
    const first = indexes[i]!
    let last = first
    while (indexes[i + 1] === last + 1) last = indexes[++i]!
    i++
    const next = members[last + 1]
    const previous = members[first - 1]
    if (next !== undefined) edits.push(spliceEdit(members[first]!.keyRange.start, next.keyRange.start, ''))
    else if (previous !== undefined) edits.push(spliceEdit(previous.value.end, members[last]!.value.end, ''))
    else edits.push(spliceEdit(members[first]!.keyRange.start, members[last]!.value.end, ''))
  }
  return edits
}

/**
 * Edits that rename the deployment's camelCase `pendingOperations` member to `pending_operations`
 * (diffs.go :: marshalSpannedDeployment writes the camelCase key, which Go readers ignore — §6.2).
 * An existing `pending_operations` wins and the camelCase members are dropped; otherwise the last
 * camelCase member (the one a last-wins reader would see) is renamed and earlier duplicates dropped.
 */
function pendingOperationsEdits(deployment: readonly ObjectMember[]): CheckpointEdit[] {
  const camel: number[] = []
  deployment.forEach((member, index) => {
    if (member.key === CAMEL_PENDING) camel.push(index)
  })
  if (camel.length === 0) return []
  const hasSnake = deployment.some((member) => member.key === SNAKE_PENDING)
  const renamed = hasSnake ? undefined : camel.pop()
  const edits = memberRemovals(deployment, camel)
  if (renamed !== undefined) {
    const key = deployment[renamed]!.keyRange
    edits.push(spliceEdit(key.start, key.end, JSON.stringify(SNAKE_PENDING)))
  }
  return edits
}

/**
 * The text the server exports for a stored checkpoint text (§6.2 canonical form or any `UntypedDeployment`).
 * Validates the envelope (integer `version` 1–4, object `deployment`, string-array `features`, list-valued
 * `resources` and pending operations). The hot path
 * returns the input Buffer itself; only a deployment carrying the CLI's camelCase `pendingOperations` gets a
 * new Buffer, in which that member is renamed (all other bytes kept as they were).
 */
export function deploymentFromCheckpointText(text: Buffer): Buffer {
  // One pass validates the whole text and lists the deployment's own members at the same time.
  const { members, nested } = inContext('invalid checkpoint', () =>
    objectMembersWithNested(text, 'deployment'),
  )
  validateCheckpointText(text, members)
  const deployment = lastByKey(nested ?? [])
  // DeploymentV3's slices: anything but a list (or null) fails the CLI's json.Unmarshal of every later export.
  for (const key of ['resources', SNAKE_PENDING, CAMEL_PENDING]) {
    const range = deployment.get(key)
    if (range !== undefined && !['array', 'null'].includes(jsonKind(text, range))) {
      throw new InvalidError(
        `invalid checkpoint: "deployment.${key}" must be a list, got ${jsonKind(text, range)}`,
      )
    }
  }
  const edits = pendingOperationsEdits(nested ?? [])
  return edits.length === 0 ? text : applyCheckpointDelta(text, edits)
}

/**
 * Stored checkpoint text for a full checkpoint request (L4 `PatchUpdateCheckpointRequest`
 * `{"isInvalid":false,"version":3,"features":[…]?,"deployment":{…}}`): `{"version":V[,"features":F],
 * "deployment":D}` with F and D spliced as raw bytes, like snapshot_test.go :: handleLastRequestAsRegular
 * (features omitted when empty, as `omitempty` does).
 */
export function untypedDeploymentFromCheckpointRequest(body: Buffer): Buffer {
  const what = 'invalid checkpoint request'
  const ranges = inContext(what, () => objectMemberRanges(body))
  const isInvalid = ranges.get('isInvalid')
  if (isInvalid !== undefined && !['boolean', 'null'].includes(jsonKind(body, isInvalid))) {
    throw new InvalidError(`${what}: "isInvalid" must be a boolean`)
  }
  const version = readSchemaVersion(body, ranges.get('version'), what)
  const features = readFeatures(body, ranges.get('features'), what)
  const deployment = requireObject(body, ranges.get('deployment'), what, 'deployment')

  const featuresRange = ranges.get('features')
  const parts: Uint8Array[] = [Buffer.from(`{"version":${version}`)]
  if (features !== undefined && features.length > 0 && featuresRange !== undefined) {
    parts.push(Buffer.from(',"features":'), body.subarray(featuresRange.start, featuresRange.end))
  }
  parts.push(Buffer.from(',"deployment":'), body.subarray(deployment.start, deployment.end), Buffer.from('}'))
  return Buffer.concat(parts)
}

/**
 * The byte-exact `untypedDeployment` of a verbatim checkpoint request (L5
 * `{"version":3,"untypedDeployment":<text>,"sequenceNumber":1}`, §6.4 verbatim step 1), as a subarray of
 * `body` (no copy). Only the envelope is validated here; the text itself is checked by describeCheckpointText.
 */
export function verbatimDeploymentRange(body: Buffer): VerbatimDeployment {
  const what = 'invalid verbatim checkpoint request'
  const ranges = inContext(what, () => objectMemberRanges(body))
  const version = readSchemaVersion(body, ranges.get('version'), what)
  const sequenceNumber = readInteger(body, ranges.get('sequenceNumber'), what, 'sequenceNumber')
  if (sequenceNumber < 1) throw new InvalidError(`${what}: "sequenceNumber" must be at least 1`)
  const deployment = requireObject(body, ranges.get('untypedDeployment'), what, 'untypedDeployment')
  return { text: body.subarray(deployment.start, deployment.end), sequenceNumber, version }
}

/** Number of resources in a checkpoint text, found by scanning (no parse of the resource objects). */
export function countCheckpointResources(text: Buffer): number {
  const { deployment } = describeCheckpointText(text)
  const resources = objectMemberRanges(text, deployment.start, deployment.end).get('resources')
  if (!resources || jsonKind(text, resources) !== 'array') return 0
  return arrayElementRanges(text, resources.start, resources.end).length
}
