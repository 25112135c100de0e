import { hkdfSync, randomBytes } from 'node:crypto'
import { open, seal } from './aes-gcm.js'

/**
 * The server's own root key: with `-secrets-provider=local` it is `-master-key` and wraps the per-stack data keys;
 * with a KMS provider it is a random key stored wrapped by the KMS (see unlock-secrets.ts). Either way it seals
 * refresh tokens and derives the lease-token key. Never logged, never stored in the clear.
 */
export class MasterKey {
  readonly #key: Buffer

  private constructor(key: Buffer) {
    this.#key = key
  }

  static fromHex(hex: string): MasterKey {
    if (!/^[0-9a-fA-F]{64}$/.test(hex))
      throw new Error('master key must be 64 hexadecimal characters (32 bytes)')
    return new MasterKey(Buffer.from(hex, 'hex'))
  }

  static fromBytes(bytes: Buffer): MasterKey {
    if (bytes.length !== 32) throw new Error('master key must be 32 bytes')
    return new MasterKey(Buffer.from(bytes))
  }

  static generate(): { key: MasterKey; hex: string } {
    const raw = randomBytes(32)
    return { key: new MasterKey(raw), hex: raw.toString('hex') }
  }

  wrap(plaintext: Buffer, context: string): Buffer {
    return seal(this.#key, plaintext, context)
  }

  unwrap(wrapped: Buffer, context: string): Buffer | undefined {
    return open(this.#key, wrapped, context)
  }

  /**
   * A key for another purpose (HKDF-SHA256 with `purpose` as info): every server holding this master key derives
   * the same one, and the database (which never holds the master key) cannot.
   */
  derive(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#key, Buffer.alloc(0), purpose, 32))
  }

  /** The raw key, only to be wrapped by a KMS (server key storage and migration). */
  exportForWrapping(): Buffer {
    return Buffer.from(this.#key)
  }

  // Keeps the key out of accidental logs and JSON dumps.
  toJSON(): string {
    return '[master key]'
  }
}
