// Byte-level JSON scanner over UTF-8 Buffers. It locates values (byte ranges) without building or
// re-serialising them, so the server can keep the CLI's exact checkpoint bytes (protocol §6.4): a
// JSON.parse/JSON.stringify round trip would change escaping, number formatting and key order.
// Everything is a single linear pass with an explicit container stack (no recursion, so deeply nested
// input cannot overflow the call stack). The grammar is validated strictly (RFC 8259); UTF-8 validity
// of string contents is not checked, matching Go, which replaces invalid bytes instead of failing.
import { InvalidError } from '../errors.js'
import { MAX_JSON_DEPTH } from './json-depth.js'

/** A half-open byte range [start, end) into a Buffer. */
export interface ByteRange {
  start: number
  end: number
}

/** One object member: decoded key, the byte range of the key token (with quotes) and of the value. */
export interface ObjectMember {
  key: string
  keyRange: ByteRange
  value: ByteRange
}

export type JsonKind = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null'

const TAB = 0x09
const LF = 0x0a
const CR = 0x0d
const SPACE = 0x20
const QUOTE = 0x22
const PLUS = 0x2b
const COMMA = 0x2c
const MINUS = 0x2d
const DOT = 0x2e
const SLASH = 0x2f
const ZERO = 0x30
const NINE = 0x39
const COLON = 0x3a
const UPPER_E = 0x45
const LBRACKET = 0x5b
const BACKSLASH = 0x5c
const RBRACKET = 0x5d
const LOWER_E = 0x65
const LBRACE = 0x7b
const RBRACE = 0x7d
const END = -1

const TRUE = Buffer.from('true')
const FALSE = Buffer.from('false')
const NULL = Buffer.from('null')

/** Byte at `pos`, or END at/after `limit` (so a sub-range never reads its neighbours). */
function byteAt(json: Buffer, pos: number, limit: number): number {
  return pos < limit ? json[pos]! : END
}

function describeByte(c: number): string {
  if (c === END) return 'end of input'
  if (c >= 0x21 && c < 0x7f) return `'${String.fromCharCode(c)}'`
  return `byte 0x${c.toString(16).padStart(2, '0')}`
}

function fail(pos: number, message: string): never {
  throw new InvalidError(`malformed JSON at byte ${pos}: ${message}`)
}

function unexpected(json: Buffer, pos: number, limit: number, expected: string): never {
  fail(pos, `expected ${expected}, found ${describeByte(byteAt(json, pos, limit))}`)
}

function skipWhitespace(json: Buffer, pos: number, limit: number): number {
  while (pos < limit) {
    const c = json[pos]!
    if (c !== SPACE && c !== LF && c !== CR && c !== TAB) break
    pos++
  }
  return pos
}

function isHexDigit(c: number): boolean {
  return (c >= ZERO && c <= NINE) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
}

/** `pos` is at a backslash; returns the offset after the escape sequence. */
function skipEscape(json: Buffer, pos: number, limit: number): number {
  const c = byteAt(json, pos + 1, limit)
  switch (c) {
    case QUOTE:
    case BACKSLASH:
    case SLASH:
    case 0x62: // b
    case 0x66: // f
    case 0x6e: // n
    case 0x72: // r
    case 0x74: // t
      return pos + 2
    case 0x75: // u
      for (let i = pos + 2; i < pos + 6; i++) {
        if (!isHexDigit(byteAt(json, i, limit))) fail(i, 'invalid \\u escape (need 4 hex digits)')
      }
      return pos + 6
    default:
      return fail(pos, `invalid escape sequence \\${c === END ? '' : String.fromCharCode(c)}`)
  }
}

/** `pos` is at the opening quote; returns the offset after the closing quote. Contents are skipped byte by byte. */
function skipString(json: Buffer, pos: number, limit: number): number {
  const open = pos
  pos++
  while (pos < limit) {
    const c = json[pos]!
    if (c === QUOTE) return pos + 1
    if (c === BACKSLASH) {
      pos = skipEscape(json, pos, limit)
    } else if (c < SPACE) {
      fail(pos, `unescaped control character ${describeByte(c)} in string starting at byte ${open}`)
    } else {
      pos++
    }
  }
  return fail(open, 'unterminated string')
}

function skipDigits(json: Buffer, pos: number, limit: number): number {
  while (pos < limit) {
    const c = json[pos]!
    if (c < ZERO || c > NINE) break
    pos++
  }
  return pos
}

/** RFC 8259 number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
function skipNumber(json: Buffer, pos: number, limit: number): number {
  const start = pos
  if (json[pos] === MINUS) pos++
  const first = byteAt(json, pos, limit)
  if (first === ZERO) pos++
  else if (first > ZERO && first <= NINE) pos = skipDigits(json, pos + 1, limit)
  else fail(start, 'invalid number (expected a digit)')
  if (byteAt(json, pos, limit) === DOT) {
    const digits = skipDigits(json, pos + 1, limit)
    if (digits === pos + 1) fail(start, 'invalid number (expected a digit after the decimal point)')
    pos = digits
  }
  const e = byteAt(json, pos, limit)
  if (e === LOWER_E || e === UPPER_E) {
    pos++
    const sign = byteAt(json, pos, limit)
    if (sign === PLUS || sign === MINUS) pos++
    const digits = skipDigits(json, pos, limit)
    if (digits === pos) fail(start, 'invalid number (expected a digit in the exponent)')
    pos = digits
  }
  return pos
}

function skipLiteral(json: Buffer, pos: number, limit: number, word: Uint8Array): number {
  // A byte loop: Buffer.compare's native call costs more than comparing 4–5 bytes here.
  for (let i = 0; i < word.length; i++) {
    if (byteAt(json, pos + i, limit) !== word[i])
      fail(pos, `invalid literal (expected '${Buffer.from(word)}')`)
  }
  return pos + word.length
}

/** A value that is not a container: string, number, true, false or null. */
function skipScalar(json: Buffer, pos: number, limit: number): number {
  const c = byteAt(json, pos, limit)
  if (c === QUOTE) return skipString(json, pos, limit)
  if (c === MINUS || (c >= ZERO && c <= NINE)) return skipNumber(json, pos, limit)
  if (c === 0x74) return skipLiteral(json, pos, limit, TRUE)
  if (c === 0x66) return skipLiteral(json, pos, limit, FALSE)
  if (c === 0x6e) return skipLiteral(json, pos, limit, NULL)
  return unexpected(json, pos, limit, 'a JSON value')
}

/** `pos` is at (whitespace before) a member name; returns the offset just after the ':' that follows it. */
function skipMemberName(json: Buffer, pos: number, limit: number): number {
  pos = skipWhitespace(json, pos, limit)
  if (byteAt(json, pos, limit) !== QUOTE) unexpected(json, pos, limit, 'a member name string')
  pos = skipWhitespace(json, skipString(json, pos, limit), limit)
  if (byteAt(json, pos, limit) !== COLON) unexpected(json, pos, limit, "':' after a member name")
  return pos + 1
}

/**
 * Offset just past the JSON value that starts at `pos` (leading whitespace allowed), validating it.
 * Nested containers are tracked with an explicit stack of expected closing bytes.
 */
export function jsonValueEnd(json: Buffer, pos: number, limit: number = json.length): number {
  checkBounds(json, pos, limit)
  const closers: number[] = []
  for (;;) {
    // Expecting a value.
    pos = skipWhitespace(json, pos, limit)
    const c = byteAt(json, pos, limit)
    if (c === LBRACE || c === LBRACKET) {
      if (closers.length >= MAX_JSON_DEPTH) {
        throw new InvalidError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels at byte ${pos}`)
      }
      const closer = c === LBRACE ? RBRACE : RBRACKET
      const inner = skipWhitespace(json, pos + 1, limit)
      if (byteAt(json, inner, limit) === closer) {
        pos = inner + 1
      } else {
        closers.push(closer)
        pos = closer === RBRACE ? skipMemberName(json, inner, limit) : inner
        continue
      }
    } else {
      pos = skipScalar(json, pos, limit)
    }
    // After a value: close finished containers until one continues with ','.
    for (;;) {
      if (closers.length === 0) return pos
      const closer = closers[closers.length - 1]!
      pos = skipWhitespace(json, pos, limit)
      const d = byteAt(json, pos, limit)
      if (d === COMMA) {
        pos = closer === RBRACE ? skipMemberName(json, pos + 1, limit) : pos + 1
        break
      }
      if (d !== closer) unexpected(json, pos, limit, closer === RBRACE ? "',' or '}'" : "',' or ']'")
      closers.pop()
      pos++
    }
  }
}

/** Decodes a string token [start,end) (quotes included); the fast path avoids JSON.parse when nothing is escaped. */
function decodeStringToken(json: Buffer, start: number, end: number): string {
  // A bounded loop, not indexOf: indexOf would search past the token (quadratic over many keys).
  for (let i = start + 1; i < end - 1; i++) {
    if (json[i] === BACKSLASH) return JSON.parse(json.toString('utf8', start, end)) as string
  }
  return json.toString('utf8', start + 1, end - 1)
}

function checkBounds(json: Buffer, start: number, end: number): void {
  if (
    !Number.isSafeInteger(start) ||
    !Number.isSafeInteger(end) ||
    start < 0 ||
    end > json.length ||
    start > end
  ) {
    throw new RangeError(`invalid byte range [${start}, ${end}) for a buffer of ${json.length} bytes`)
  }
}

/** Start of the single value filling [start,end) (surrounding whitespace allowed), after checking its first byte. */
function soleValueStart(json: Buffer, start: number, end: number, open: number, what: string): number {
  checkBounds(json, start, end)
  const pos = skipWhitespace(json, start, end)
  if (byteAt(json, pos, end) !== open) unexpected(json, pos, end, what)
  return pos
}

function expectOnlyWhitespace(json: Buffer, pos: number, end: number): void {
  pos = skipWhitespace(json, pos, end)
  if (pos < end) fail(pos, `unexpected ${describeByte(json[pos]!)} after the end of the JSON value`)
}

interface ObjectScan {
  members: ObjectMember[]
  /** Offset just past the closing brace. */
  end: number
  /** Members of the last `nestedKey` member whose value is an object, scanned in the same pass. */
  nested: ObjectMember[] | undefined
}

/** `pos` is at '{'. With `nestedKey`, that member's object value is scanned for its members instead of skipped. */
function scanObjectAt(json: Buffer, pos: number, limit: number, nestedKey?: string): ObjectScan {
  const members: ObjectMember[] = []
  let nested: ObjectMember[] | undefined
  pos = skipWhitespace(json, pos + 1, limit)
  if (byteAt(json, pos, limit) === RBRACE) return { members, end: pos + 1, nested }
  for (;;) {
    if (byteAt(json, pos, limit) !== QUOTE) unexpected(json, pos, limit, 'a member name string')
    const keyStart = pos
    const keyEnd = skipString(json, pos, limit)
    const key = decodeStringToken(json, keyStart, keyEnd)
    pos = skipWhitespace(json, keyEnd, limit)
    if (byteAt(json, pos, limit) !== COLON) unexpected(json, pos, limit, "':' after a member name")
    const valueStart = skipWhitespace(json, pos + 1, limit)
    let valueEnd: number
    if (key === nestedKey && byteAt(json, valueStart, limit) === LBRACE) {
      const inner = scanObjectAt(json, valueStart, limit)
      nested = inner.members
      valueEnd = inner.end
    } else {
      if (key === nestedKey) nested = undefined // the last duplicate decides, as in objectMemberRanges
      valueEnd = jsonValueEnd(json, valueStart, limit)
    }
    members.push({
      key,
      keyRange: { start: keyStart, end: keyEnd },
      value: { start: valueStart, end: valueEnd },
    })
    pos = skipWhitespace(json, valueEnd, limit)
    const c = byteAt(json, pos, limit)
    if (c === RBRACE) return { members, end: pos + 1, nested }
    if (c !== COMMA) unexpected(json, pos, limit, "',' or '}' after an object member")
    pos = skipWhitespace(json, pos + 1, limit)
  }
}

/**
 * Members of the JSON object filling [start,end) (default: the whole buffer, surrounding whitespace allowed),
 * in document order, with the byte range of each key token and value. The whole object is validated.
 * Duplicate keys are all listed.
 */
export function objectMembers(json: Buffer, start = 0, end: number = json.length): ObjectMember[] {
  const scan = scanObjectAt(json, soleValueStart(json, start, end, LBRACE, 'a JSON object'), end)
  expectOnlyWhitespace(json, scan.end, end)
  return scan.members
}

/**
 * Like objectMembers, and also lists the members of the object value of member `nestedKey` (undefined when
 * absent or not an object) in the same single pass — saves a second scan of a large nested object.
 */
export function objectMembersWithNested(
  json: Buffer,
  nestedKey: string,
  start = 0,
  end: number = json.length,
): { members: ObjectMember[]; nested: ObjectMember[] | undefined } {
  const scan = scanObjectAt(json, soleValueStart(json, start, end, LBRACE, 'a JSON object'), end, nestedKey)
  expectOnlyWhitespace(json, scan.end, end)
  return { members: scan.members, nested: scan.nested }
}

/**
 * Byte range of each member's value in the JSON object filling [start,end) (default: the whole buffer,
 * surrounding whitespace allowed). Keys are decoded (escapes included); for a duplicate key the last one
 * wins, as with JSON.parse and Go's encoding/json.
 */
export function objectMemberRanges(
  json: Buffer,
  start = 0,
  end: number = json.length,
): Map<string, ByteRange> {
  const ranges = new Map<string, ByteRange>()
  for (const member of objectMembers(json, start, end)) ranges.set(member.key, member.value)
  return ranges
}

/** Byte range of each element of the JSON array filling [start,end) (default: the whole buffer). */
export function arrayElementRanges(json: Buffer, start = 0, end: number = json.length): ByteRange[] {
  const elements: ByteRange[] = []
  scanArray(json, start, end, (valueStart) => {
    const valueEnd = jsonValueEnd(json, valueStart, end)
    elements.push({ start: valueStart, end: valueEnd })
    return valueEnd
  })
  return elements
}

/**
 * For the JSON array filling [start,end): each element's range and, for elements that are objects, their
 * members — in one pass (arrayElementRanges then objectMembers per element would scan everything twice).
 */
export function arrayElementsWithMembers(
  json: Buffer,
  start = 0,
  end: number = json.length,
): { range: ByteRange; members: ObjectMember[] | undefined }[] {
  const elements: { range: ByteRange; members: ObjectMember[] | undefined }[] = []
  scanArray(json, start, end, (valueStart) => {
    if (byteAt(json, valueStart, end) !== LBRACE) {
      const valueEnd = jsonValueEnd(json, valueStart, end)
      elements.push({ range: { start: valueStart, end: valueEnd }, members: undefined })
      return valueEnd
    }
    const scan = scanObjectAt(json, valueStart, end)
    elements.push({ range: { start: valueStart, end: scan.end }, members: scan.members })
    return scan.end
  })
  return elements
}

/** Walks the elements of the array filling [start,end); `element` scans one value and returns its end. */
function scanArray(json: Buffer, start: number, end: number, element: (valueStart: number) => number): void {
  let pos = soleValueStart(json, start, end, LBRACKET, 'a JSON array')
  pos = skipWhitespace(json, pos + 1, end)
  if (byteAt(json, pos, end) === RBRACKET) {
    expectOnlyWhitespace(json, pos + 1, end)
    return
  }
  for (;;) {
    pos = skipWhitespace(json, element(skipWhitespace(json, pos, end)), end)
    const c = byteAt(json, pos, end)
    if (c === RBRACKET) break
    if (c !== COMMA) unexpected(json, pos, end, "',' or ']' after an array element")
    pos++
  }
  expectOnlyWhitespace(json, pos + 1, end)
}

/** Kind of the value occupying `range` (judged by its first byte; the range is assumed already validated). */
export function jsonKind(json: Buffer, range: ByteRange): JsonKind {
  const c = byteAt(json, range.start, range.end)
  if (c === LBRACE) return 'object'
  if (c === LBRACKET) return 'array'
  if (c === QUOTE) return 'string'
  if (c === 0x74 || c === 0x66) return 'boolean'
  if (c === 0x6e) return 'null'
  if (c === MINUS || (c >= ZERO && c <= NINE)) return 'number'
  return unexpected(json, range.start, range.end, 'a JSON value')
}

/** JSON.parse of the value occupying `range`; meant for small values (numbers, short strings, flags). */
export function parseJsonRange(json: Buffer, range: ByteRange): unknown {
  return JSON.parse(json.toString('utf8', range.start, range.end))
}

/** The raw bytes of `range` as text, for error messages (truncated). */
export function previewRange(json: Buffer, range: ByteRange, max = 40): string {
  const end = Math.min(range.end, range.start + max)
  const text = json.toString('utf8', range.start, end)
  return end < range.end ? `${text}…` : text
}
