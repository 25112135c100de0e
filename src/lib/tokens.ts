import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/** Opaque bearer token: a recognisable prefix plus 32 random bytes. */
export function newToken(prefix: string): string {
  return `${prefix}-${randomBytes(32).toString('hex')}`
}

/** Tokens are stored and compared only as SHA-256 digests (high-entropy secrets need no slow KDF). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex')
  const right = Buffer.from(b, 'hex')
  return left.length === right.length && timingSafeEqual(left, right)
}

/**
 * The lease token of one generation of an update's lease: HMAC(key, "<update id>:<generation>"). Deterministic,
 * so a retried renew (after a lost response) can be answered with the current token again, though only hashes
 * are stored.
 */
export function leaseToken(key: Buffer, updateId: string, generation: number): string {
  return `lease-${createHmac('sha256', key).update(`${updateId}:${generation}`, 'utf8').digest('hex')}`
}
