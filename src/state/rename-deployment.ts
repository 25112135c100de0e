// Server-side state rewrite for `POST /api/stacks/{o}/{p}/{s}/rename` (protocol.md §4.2 S5). The CLI only sends
// the new name; like the DIY backend (pkg/backend/diy/backend.go :: renameStack) we must rewrite the stored state
// ourselves. Mirrors pkg/resource/edit/operations.go :: RenameStack with OldName/OldProject set and Force off.

import type { UntypedDeployment } from '../apitype/core.js'
import { InvalidError } from '../errors.js'
import {
  formatProviderReference,
  type ProviderReference,
  parseProviderReference,
} from './provider-reference.js'
import { formatUrn, parseUrn, ROOT_STACK_TYPE, URN_NAME_DELIMITER } from './urn.js'

export interface StackIdentity {
  owner: string
  project: string
  stack: string
}

// sdk/go/common/resource/sig/sig.go
export const SIG_KEY = '4dabf18193072939515e22adb298388d'
export const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270'
export const RESOURCE_REFERENCE_SIG = '5cf8f73096256a8f31e491e813e4eb8e'
export const OUTPUT_VALUE_SIG = 'd0e6a833031e9bbcd3f4e8bde6ca49a4'

/**
 * operations.go :: stackRenamer.renameURN. Only URNs whose stack *and* project both equal `from` change; others
 * (another stack's or another project's URNs) pass through byte for byte. The root stack resource's name is
 * recomputed as `<project>-<stack>` whatever it was before, as the CLI does. Invalid URNs are returned unchanged
 * (the CLI would panic on a missing prefix; a pure rewrite has no reason to).
 */
export function renameUrn(urn: string, from: StackIdentity, to: StackIdentity): string {
  const parts = parseUrn(urn)
  if (parts === undefined || parts.stack !== from.stack || parts.project !== from.project) return urn
  const name = parts.qualifiedType === ROOT_STACK_TYPE ? `${to.project}-${to.stack}` : parts.name
  return formatUrn({ stack: to.stack, project: to.project, qualifiedType: parts.qualifiedType, name })
}

export interface RenameDeploymentOptions {
  /** RenameStackOptions.Force: keep unparsable provider references instead of throwing InvalidError. */
  force?: boolean
}

/**
 * Returns a renamed deep copy of `state` (the input is never mutated); every key the rename does not concern
 * survives untouched and in order. Throws InvalidError for an unparsable provider reference unless `force`.
 */
export function renameDeployment(
  state: UntypedDeployment,
  from: StackIdentity,
  to: StackIdentity,
  options: RenameDeploymentOptions = {},
): UntypedDeployment {
  for (const part of [to.stack, to.project]) {
    // A `::` would shift every later URN component and corrupt the state irreparably.
    if (part === '' || part.includes(URN_NAME_DELIMITER)) {
      throw new InvalidError(`invalid stack or project name '${part}'`)
    }
  }
  try {
    return renameClone(structuredClone(state), from, to, options)
  } catch (error) {
    // Only a state stored before nesting was bounded (json-depth.ts) can be deep enough to overflow the stack.
    if (error instanceof RangeError) {
      throw new InvalidError('Bad Request: the stack state nests values too deeply to be renamed')
    }
    throw error
  }
}

function renameClone(
  result: UntypedDeployment,
  from: StackIdentity,
  to: StackIdentity,
  options: RenameDeploymentOptions,
): UntypedDeployment {
  const deployment = result.deployment
  if (!isRecord(deployment)) return result

  const rename = (urn: string): string => renameUrn(urn, from, to)
  if (Array.isArray(deployment.resources)) {
    for (const res of deployment.resources) {
      if (isRecord(res)) renameResource(res, rename, options)
    }
  }
  if (Array.isArray(deployment.pending_operations)) {
    for (const op of deployment.pending_operations) {
      if (isRecord(op) && isRecord(op.resource)) renameResource(op.resource, rename, options)
    }
  }
  renameServiceSecretsProvider(deployment.secrets_providers, from, to)
  return result
}

type Rename = (urn: string) => string

// operations.go :: RenameStack's rewriteState, on the (already cloned) resource. Fields are guarded by type
// because stored JSON is not validated the way Go's typed decoding would.
function renameResource(
  res: Record<string, unknown>,
  rename: Rename,
  options: RenameDeploymentOptions,
): void {
  if (typeof res.urn === 'string') res.urn = rename(res.urn)
  if (typeof res.parent === 'string' && res.parent !== '') res.parent = rename(res.parent)
  renameUrnArray(res.dependencies, rename)
  if (isRecord(res.propertyDependencies)) {
    for (const deps of Object.values(res.propertyDependencies)) renameUrnArray(deps, rename)
  }
  if (typeof res.deletedWith === 'string' && res.deletedWith !== '') res.deletedWith = rename(res.deletedWith)
  renameUrnArray(res.replaceWith, rename)
  renameUrnArray(res.aliases, rename)
  if (typeof res.viewOf === 'string' && res.viewOf !== '') res.viewOf = rename(res.viewOf)
  if (typeof res.provider === 'string' && res.provider !== '') {
    res.provider = renameProviderReference(res.provider, String(res.urn), rename, options)
  }
  if (isRecord(res.inputs)) renamePropertyValue(res.inputs, rename)
  if (isRecord(res.outputs)) renamePropertyValue(res.outputs, rename)
  if ('replacementTrigger' in res)
    res.replacementTrigger = renamePropertyValue(res.replacementTrigger, rename)
}

function renameUrnArray(value: unknown, rename: Rename): void {
  if (!Array.isArray(value)) return
  for (let i = 0; i < value.length; i++) {
    const urn: unknown = value[i]
    if (typeof urn === 'string') value[i] = rename(urn)
  }
}

// operations.go :: renameProviderReference
function renameProviderReference(
  provider: string,
  resUrn: string,
  rename: Rename,
  options: RenameDeploymentOptions,
): string {
  let ref: ProviderReference
  try {
    ref = parseProviderReference(provider)
  } catch (err) {
    if (options.force) return provider
    throw new InvalidError(`parsing provider reference for "${resUrn}": ${(err as Error).message}`)
  }
  const urn = rename(ref.urn)
  // Unchanged refs keep their exact bytes; rebuilt ones get NewReference's empty-id normalisation.
  if (urn === ref.urn) return provider
  return formatProviderReference(urn, ref.id)
}

/**
 * operations.go :: renameSerializedPropertyValue, in place, returning the (same) value. Only resource-reference
 * objects and output-value dependencies are rewritten: plain strings that happen to look like URNs are data and
 * stay as they are, exactly as in the CLI.
 */
function renamePropertyValue(value: unknown, rename: Rename): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = renamePropertyValue(value[i], rename)
    return value
  }
  if (!isRecord(value)) return value
  if (SIG_KEY in value) {
    switch (value[SIG_KEY]) {
      case RESOURCE_REFERENCE_SIG:
        if (typeof value.urn === 'string') value.urn = rename(value.urn)
        return value
      case SECRET_SIG:
        // `ciphertext` is opaque encrypted bytes and is never touched. The CLI also tries to JSON-parse it, which
        // only ever succeeds for plaintext-style serializations, so skipping it loses nothing in practice.
        if (typeof value.plaintext === 'string')
          value.plaintext = renameSecretPlaintext(value.plaintext, rename)
        return value
      case OUTPUT_VALUE_SIG:
        if ('value' in value) value.value = renamePropertyValue(value.value, rename)
        renameUrnArray(value.dependencies, rename)
        return value
    }
  }
  // Assets, archives and any other signature fall through to a plain recursive walk, like the CLI.
  for (const [key, elem] of Object.entries(value)) value[key] = renamePropertyValue(elem, rename)
  return value
}

// operations.go :: renameSerializedSecretString: a secret's plaintext is the JSON text of its inner value.
// Re-serialised only when a URN actually changed, so untouched secrets keep their exact bytes (and large numbers,
// which a JSON round trip through doubles would alter).
function renameSecretPlaintext(plaintext: string, rename: Rename): string {
  if (plaintext === '') return plaintext
  let inner: unknown
  try {
    inner = JSON.parse(plaintext)
  } catch {
    return plaintext
  }
  let changed = false
  const tracking: Rename = (urn) => {
    const renamed = rename(urn)
    if (renamed !== urn) changed = true
    return renamed
  }
  const renamed = renamePropertyValue(inner, tracking)
  return changed ? JSON.stringify(renamed) : plaintext
}

/**
 * The DIY backend has no equivalent: the service secrets provider routes decrypts to
 * /api/stacks/<owner>/<project>/<stack>/decrypt from its state (pkg/secrets/service/manager.go), so a state that
 * pointed at the old name must now point at the new one. A provider pointing at some *other* stack (whose key the
 * ciphertexts belong to) is left alone. Names compare case-insensitively, since the CLI stores them as the user
 * spelled them. Assigning existing keys keeps `url`, `insecure` and the key order.
 */
function renameServiceSecretsProvider(provider: unknown, from: StackIdentity, to: StackIdentity): void {
  if (!isRecord(provider) || provider.type !== 'service' || !isRecord(provider.state)) return
  const state = provider.state
  const same = (a: unknown, b: string): boolean =>
    typeof a === 'string' && a.toLowerCase() === b.toLowerCase()
  if (
    !same(state.owner, from.owner) ||
    !same(state.project, from.project) ||
    !same(state.stack, from.stack)
  ) {
    return
  }
  state.owner = to.owner
  state.project = to.project
  state.stack = to.stack
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
