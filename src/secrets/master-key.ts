import { randomBytes } from 'node:crypto'
import { open, seal } from './aes-gcm.js'
import type { KeyProvider } from './key-provider.js'

/** The root of the key hierarchy for `-secrets-provider=local`: wraps per-stack data keys. Never logged or stored. */
export class MasterKey implements KeyProvider {
  readonly kind = 'local'
  readonly description = 'the local master key (-master-key)'
  readonly #key: Buffer

  private constructor(key: Buffer) {
    this.#key = key
  }

  static fromHex(hex: string): MasterKey {
    if (!/^[0-9a-fA-F]{64}$/.test(hex))
      throw new Error('master key must be 64 hexadecimal characters (32 bytes)')
    return new MasterKey(Buffer.from(hex, 'hex'))
  }

  static generate(): { key: MasterKey; hex: string } {
    const raw = randomBytes(32)
    return { key: new MasterKey(raw), hex: raw.toString('hex') }
  }

  async wrap(plaintext: Buffer, context: string): Promise<Buffer> {
    return seal(this.#key, plaintext, context)
  }

  async unwrap(wrapped: Buffer, context: string): Promise<Buffer | undefined> {
    return open(this.#key, wrapped, context)
  }

  // Keeps the key out of accidental logs and JSON dumps.
  toJSON(): string {
    return '[master key]'
  }
}
