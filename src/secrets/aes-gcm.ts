import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

// Sealed layout: version (1 byte) || nonce (12) || ciphertext || tag (16). The version byte lets us change the
// scheme later without guessing; the AAD binds a value to its context (e.g. the stack's immutable id).
const VERSION = 1
const NONCE_BYTES = 12
const TAG_BYTES = 16

export function seal(key: Buffer, plaintext: Uint8Array, aad: string): Buffer {
  const nonce = randomBytes(NONCE_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  cipher.setAAD(Buffer.from(aad, 'utf8'))
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return Buffer.concat([Buffer.of(VERSION), nonce, body, cipher.getAuthTag()])
}

/** Returns undefined when the value was not sealed by this key for this context (tampered, wrong key or AAD). */
export function open(key: Buffer, sealed: Uint8Array, aad: string): Buffer | undefined {
  if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES || sealed[0] !== VERSION) return undefined
  const nonce = sealed.subarray(1, 1 + NONCE_BYTES)
  const tag = sealed.subarray(sealed.length - TAG_BYTES)
  const body = sealed.subarray(1 + NONCE_BYTES, sealed.length - TAG_BYTES)
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce)
    decipher.setAAD(Buffer.from(aad, 'utf8'))
    decipher.setAuthTag(tag)
    return Buffer.concat([decipher.update(body), decipher.final()])
  } catch {
    return undefined
  }
}
