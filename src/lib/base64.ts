import { InvalidError } from '../errors.js'

// Go encodes []byte as standard, padded base64 (RFC 4648 §4); Node's decoder silently skips junk, so check first.
// A character-class run plus a length check: linear, unlike a `(?:x{4})*` group, which overflows V8's regexp stack
// on a few MB of input.
const STANDARD_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

export function decodeBase64(value: string, what: string): Buffer {
  if (value.length % 4 !== 0 || !STANDARD_BASE64.test(value)) {
    throw new InvalidError(`Bad Request: ${what} is not valid standard base64 (RFC 4648, with padding)`)
  }
  return Buffer.from(value, 'base64')
}
