/**
 * How deeply request JSON may nest arrays and objects. Recursive code here (JSON.stringify, structuredClone, state
 * rewrites) overflows the stack a few thousand levels down, which would answer 500 or, stored, break a later rename.
 * Real states nest a few dozen levels; Go's encoding/json itself stops at 10000 (scanner.go :: maxNestingDepth).
 */
export const MAX_JSON_DEPTH = 1000

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d

const indexOf = (bytes: Uint8Array, byte: number, from: number): number =>
  Buffer.prototype.indexOf.call(bytes, byte, from)

/**
 * Whether JSON text nests arrays and objects deeper than `max`. One pass over the bytes, skipping strings; it does
 * not validate the JSON (the parser does that).
 */
export function jsonNestsDeeperThan(json: Uint8Array, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0
  const n = json.length
  for (let i = 0; i < n; i++) {
    const c = json[i]
    if (c === QUOTE) {
      // Skip the string (native search; most of a deployment is strings): to the next quote preceded by an even
      // number of backslashes.
      for (;;) {
        i = indexOf(json, QUOTE, i + 1)
        if (i === -1) return false
        let slashes = 0
        while (json[i - 1 - slashes] === BACKSLASH) slashes++
        if (slashes % 2 === 0) break
      }
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > max) return true
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--
    }
  }
  return false
}
