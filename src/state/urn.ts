// The one URN parser of this server: a literal port of sdk/go/common/resource/urn/urn.go, so every reader (journal
// replay, stack rename, request validation) splits a URN exactly as the CLI does, quirks included.
import { InvalidError } from '../errors.js'

/** urn.go :: Prefix, NameDelimiter, TypeDelimiter. */
export const URN_PREFIX = 'urn:pulumi:'
export const URN_NAME_DELIMITER = '::'
export const URN_TYPE_DELIMITER = '$'
/** tokens.RootStackType: a parent of this type is not written into a child's qualified type (urn.go :: New). */
export const ROOT_STACK_TYPE = 'pulumi:pulumi:Stack'

/** `urn:pulumi:<stack>::<project>::<qualifiedType>::<name>`. */
export interface UrnParts {
  stack: string
  project: string
  /** The type including parent types, `$`-delimited (urn.go :: QualifiedType). */
  qualifiedType: string
  /** Everything after the third `::`, so names may themselves contain `::` (urn.go :: Name). */
  name: string
}

/** urn.go :: IsValid: the prefix plus at least three non-overlapping `::`. The tokens are deliberately not checked. */
export function isValidUrn(value: string): boolean {
  return value.startsWith(URN_PREFIX) && countNonOverlapping(value, URN_NAME_DELIMITER) >= 3
}

/** The components of a valid URN (urn.go's accessors); undefined when `isValidUrn` is false. */
export function parseUrn(value: string): UrnParts | undefined {
  return isValidUrn(value) ? splitUrn(value) : undefined
}

/**
 * urn.go's accessors on any string with the prefix, valid or not (Go asserts only the prefix there, and panics
 * without it: InvalidError here). Missing components come back empty, as in Go.
 */
export function splitUrn(value: string): UrnParts {
  if (!value.startsWith(URN_PREFIX)) throw new InvalidError(`invalid URN '${value}'`)
  const body = value.slice(URN_PREFIX.length)
  return {
    stack: component(body, 0, false),
    project: component(body, 1, false),
    qualifiedType: component(body, 2, false),
    name: component(body, 3, true),
  }
}

/** Like `parseUrn`, but throws InvalidError naming the URN (Go asserts the prefix and would panic). */
export function requireUrn(value: string, what = 'URN'): UrnParts {
  const parts = parseUrn(value)
  if (parts === undefined) throw new InvalidError(`invalid ${what} '${value}'`)
  return parts
}

/** urn.go :: Type: the last `$`-delimited element of the qualified type. */
export function typeOfQualifiedType(qualifiedType: string): string {
  return qualifiedType.slice(qualifiedType.lastIndexOf(URN_TYPE_DELIMITER) + 1)
}

/** urn.go :: New. */
export function newUrn(
  stack: string,
  project: string,
  parentType: string,
  baseType: string,
  name: string,
): string {
  const qualifiedType =
    parentType !== '' && parentType !== ROOT_STACK_TYPE
      ? `${parentType}${URN_TYPE_DELIMITER}${baseType}`
      : baseType
  return formatUrn({ stack, project, qualifiedType, name })
}

/** urn.go :: New with an empty parent type (the qualified type already carries its parents). */
export function formatUrn(parts: UrnParts): string {
  const d = URN_NAME_DELIMITER
  return `${URN_PREFIX}${parts.stack}${d}${parts.project}${d}${parts.qualifiedType}${d}${parts.name}`
}

/** strings.Count: non-overlapping occurrences. */
export function countNonOverlapping(s: string, sub: string): number {
  let n = 0
  for (let i = s.indexOf(sub); i !== -1; i = s.indexOf(sub, i + sub.length)) n++
  return n
}

// urn.go :: getComponentN, statement for statement, including how it walks runs of ':' (e.g. ':::').
function component(input: string, index: number, open: boolean): string {
  if (open && index === 0) return input
  const delimiter = URN_NAME_DELIMITER
  let delimiters = 0
  let partStart = 0
  for (let i = 0; i < input.length; i++) {
    if (input.startsWith(delimiter, i)) {
      delimiters++
      if (delimiters === index) {
        i += delimiter.length
        partStart = i
        if (open) return input.slice(partStart)
        i--
      } else if (delimiters > index) {
        return input.slice(partStart, i)
      } else {
        i += delimiter.length - 1
      }
    }
  }
  return input.slice(partStart)
}
