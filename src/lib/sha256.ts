import { webcrypto } from 'node:crypto'

/**
 * Lowercase hex SHA-256, computed on the thread pool (WebCrypto) rather than the event loop: hashing a 10 MB
 * state takes tens of milliseconds that other requests should not wait for.
 */
export async function sha256HexAsync(bytes: Uint8Array): Promise<string> {
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes)).toString('hex')
}
