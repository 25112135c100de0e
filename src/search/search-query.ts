import { InvalidError } from '../errors.js'

/**
 * The Cloud's resource search query language (pulumi.com/docs/pulumi-cloud/insights/search, "query syntax"), as
 * far as this server answers it: whitespace-separated terms, all of which must hold; `field:value` matches a field
 * exactly (`*` is a wildcard), a bare word matches anywhere in the URN, `-` negates a term, `"…"` quotes spaces,
 * and `modified:` / `created:` take `>`, `>=`, `<`, `<=` with an ISO date. Repeating a field (`type:A type:B`)
 * means either value, except for dates, where both hold (a range).
 */
export type SearchField =
  | 'type'
  | 'name'
  | 'project'
  | 'stack'
  | 'package'
  | 'module'
  | 'urn'
  | 'id'
  | 'protected'
  | 'custom'
  | 'modified'
  | 'created'

export const TEXT_FIELDS = ['type', 'name', 'project', 'stack', 'package', 'module', 'urn', 'id'] as const
const FLAG_FIELDS = ['protected', 'custom'] as const
const TIME_FIELDS = ['modified', 'created'] as const
const FIELDS: readonly SearchField[] = [...TEXT_FIELDS, ...FLAG_FIELDS, ...TIME_FIELDS]

export type SearchTerm =
  | { kind: 'text'; field: (typeof TEXT_FIELDS)[number] | 'any'; pattern: string; negated: boolean }
  | { kind: 'flag'; field: (typeof FLAG_FIELDS)[number]; value: boolean; negated: boolean }
  | {
      kind: 'time'
      field: (typeof TIME_FIELDS)[number]
      op: '<' | '<=' | '>' | '>=' | '='
      at: number
      negated: boolean
    }

/** Parses a query into terms; throws a 400 naming what is wrong. An empty query matches everything. */
export function parseSearchQuery(query: string): SearchTerm[] {
  return tokens(query).map(parseTerm)
}

interface Token {
  text: string
  negated: boolean
}

function tokens(query: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < query.length) {
    while (i < query.length && /\s/.test(query.charAt(i))) i++
    if (i >= query.length) break
    let text = ''
    let negated = false
    if (query.charAt(i) === '-') {
      negated = true
      i++
    }
    while (i < query.length && !/\s/.test(query.charAt(i))) {
      const c = query.charAt(i)
      if (c === '"') {
        const end = query.indexOf('"', i + 1)
        if (end < 0)
          throw new InvalidError(`Bad Request: unterminated quote in search query at position ${i + 1}`)
        text += query.slice(i + 1, end)
        i = end + 1
      } else {
        text += c
        i++
      }
    }
    if (text === '') throw new InvalidError('Bad Request: a lone "-" in the search query negates nothing')
    out.push({ text, negated })
  }
  return out
}

function parseTerm({ text, negated }: Token): SearchTerm {
  const colon = text.indexOf(':')
  const field = colon > 0 ? text.slice(0, colon) : ''
  // A bare word, or a word with colons that does not start with a field name (a type token like aws:s3/bucket:Bucket).
  if (!(FIELDS as readonly string[]).includes(field)) {
    if (colon > 0 && /^[a-zA-Z_.]+$/.test(field) && !text.slice(colon + 1).includes(':')) {
      throw new InvalidError(
        `Bad Request: unknown search field '${field}'; fields are ${FIELDS.join(', ')} (or free text)`,
      )
    }
    return { kind: 'text', field: 'any', pattern: text, negated }
  }
  const value = text.slice(colon + 1)
  if (value === '')
    throw new InvalidError(`Bad Request: search field '${field}' needs a value (${field}:<value>)`)
  if ((TIME_FIELDS as readonly string[]).includes(field)) return timeTerm(field as 'modified', value, negated)
  if ((FLAG_FIELDS as readonly string[]).includes(field)) {
    if (value !== 'true' && value !== 'false') {
      throw new InvalidError(`Bad Request: search field '${field}' takes true or false, not '${value}'`)
    }
    return { kind: 'flag', field: field as 'protected', value: value === 'true', negated }
  }
  if (/^[<>]/.test(value)) {
    throw new InvalidError(`Bad Request: only modified and created take comparisons (${field}:${value})`)
  }
  return { kind: 'text', field: field as 'type', pattern: value, negated }
}

function timeTerm(field: 'modified' | 'created', value: string, negated: boolean): SearchTerm {
  const match = /^(>=|<=|>|<)?(.+)$/.exec(value)
  const op = (match?.[1] ?? '=') as '<' | '<=' | '>' | '>=' | '='
  const date = match?.[2] ?? ''
  const at = /^\d{4}-\d{2}-\d{2}/.test(date) ? Date.parse(date) : Number.NaN
  if (Number.isNaN(at)) {
    throw new InvalidError(
      `Bad Request: '${date}' is not a date for ${field}: use an ISO date such as ${field}:>2025-01-31 or ${field}:<2025-01-31T12:00:00Z`,
    )
  }
  return { kind: 'time', field, op, at, negated }
}
