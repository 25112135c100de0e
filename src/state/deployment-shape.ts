// The shape of a deployment's parts as the CLI decodes them (apitype.DeploymentV3, ResourceV3, OperationV2): the
// fields this server reads or rewrites (journal replay, rename) must have the types Go's decoder requires, or a
// stored state would break replay here and `pulumi stack export` / every later update in the CLI. Property values
// (inputs, outputs) stay opaque. Each check throws InvalidError prefixed with `where`.
import { InvalidError } from '../errors.js'
import { parseProviderReference } from './provider-reference.js'

export function checkDeployment(snap: Record<string, unknown>, where: string): void {
  if (snap.manifest != null && !isObject(snap.manifest))
    throw new InvalidError(`${where}: manifest must be an object`)
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

export function checkOperation(op: unknown, where: string): void {
  if (!isObject(op)) throw new InvalidError(`${where}: must be an object`)
  if (typeof op.type !== 'string') throw new InvalidError(`${where}: type must be a string`)
  checkResource(op.resource, `${where}: resource`)
}

export function checkSnippets(snippets: unknown, where: string): void {
  if (!Array.isArray(snippets)) throw new InvalidError(`${where}: must be an array`)
  snippets.forEach((s, i) => {
    if (!isObject(s)) throw new InvalidError(`${where}[${i}]: must be an object`)
    const refs = s.references
    if (refs != null && (!isObject(refs) || !Object.values(refs).every((u) => typeof u === 'string'))) {
      throw new InvalidError(`${where}[${i}]: references must map names to URN strings`)
    }
  })
}

const RESOURCE_STRING_FIELDS = [
  'type',
  'id',
  'parent',
  'provider',
  'deletedWith',
  'viewOf',
  'extensionRef',
  'snippetID',
]
const RESOURCE_URN_LIST_FIELDS = ['dependencies', 'aliases', 'replaceWith']
const RESOURCE_BOOL_FIELDS = ['custom', 'delete', 'pendingReplacement', 'taint', 'refreshBeforeUpdate']

// Checks the fields the replayer and rename read or rewrite, and the types Go's decoder insists on for them.
export function checkResource(res: unknown, where: string): void {
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
  // The CLI's snapshot integrity check and the journal replay (NormalizeURNReferences) both parse it; Go panics on a
  // malformed one, so it is refused here rather than when an update completes.
  if (typeof res.provider === 'string' && res.provider !== '') {
    try {
      parseProviderReference(res.provider)
    } catch (error) {
      throw new InvalidError(`${where}: invalid provider reference: ${(error as Error).message}`)
    }
  }
  if (res.resourceHooks != null && !isObject(res.resourceHooks)) {
    throw new InvalidError(`${where}: resourceHooks must be an object`)
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string')
}
