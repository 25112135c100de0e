import { InvalidError } from '../errors.js'

// Go encodes []byte as standard, padded base64 (RFC 4648 §4); Node's decoder silently skips junk, so check first.
const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

export function decodeBase64(value: string, what: string): Buffer {
  if (!STANDARD_BASE64.test(value)) {
    throw new InvalidError(`Bad Request: ${what} is not valid standard base64 (RFC 4648, with padding)`)
  }
  return Buffer.from(value, 'base64')
}
