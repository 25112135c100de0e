// Provider references (`<provider URN>::<provider id>`), as sdk/go/common/providers/reference.go reads and writes them.
import { InvalidError } from '../errors.js'
import { parseUrn, typeOfQualifiedType, URN_NAME_DELIMITER } from './urn.js'

/** providers.UnknownID: what NewReference substitutes for an empty provider id. */
export const UNKNOWN_PROVIDER_ID = '04da6b54-80e4-46f7-96ec-b56ff0331ba9'

export interface ProviderReference {
  urn: string
  id: string
}

/**
 * reference.go :: ParseReference: split at the *last* `::` (so the URN's name may contain `::` but the id may not),
 * then require a URN whose type is `pulumi:providers:<pkg>` (validateURN). Throws InvalidError with Go's messages.
 */
export function parseProviderReference(ref: string): ProviderReference {
  const sep = ref.lastIndexOf(URN_NAME_DELIMITER)
  if (sep === -1) throw new InvalidError(`expected '::' in provider reference '${ref}'`)
  const urn = ref.slice(0, sep)
  const id = ref.slice(sep + URN_NAME_DELIMITER.length)
  checkProviderUrn(urn)
  return { urn, id }
}

/** reference.go :: NewReference(...).String(): an empty id becomes UnknownID. Throws InvalidError for a non-provider URN. */
export function formatProviderReference(urn: string, id: string): string {
  checkProviderUrn(urn)
  return `${urn}${URN_NAME_DELIMITER}${id === '' ? UNKNOWN_PROVIDER_ID : id}`
}

// reference.go :: validateURN. tokens.Type.Module is everything before the type's second ':' (Go panics on a type
// with exactly one ':'; we refuse it like any other non-provider type), Name the rest.
function checkProviderUrn(urn: string): void {
  const parts = parseUrn(urn)
  if (parts === undefined) throw new InvalidError(`${urn} is not a valid URN`)
  const type = typeOfQualifiedType(parts.qualifiedType)
  const first = type.indexOf(':')
  const second = first === -1 ? -1 : type.indexOf(':', first + 1)
  const module = second === -1 ? '' : type.slice(0, second)
  if (module !== 'pulumi:providers') {
    throw new InvalidError(`invalid module in type: expected 'pulumi:providers', got '${module}'`)
  }
  if (type.slice(second + 1) === '') throw new InvalidError('provider URNs must specify a type name')
}
