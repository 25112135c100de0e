import { hkdfSync, randomBytes } from 'node:crypto'
import { open, seal } from './aes-gcm.js'

/** The root of the key hierarchy: wraps per-stack data keys. Never logged, never stored. */
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

  // Keeps the key out of accidental logs and JSON dumps.
  toJSON(): string {
    return '[master key]'
  }
}

const CANARY_CONTEXT = 'pulumi-backend:master-key-canary'
const CANARY_TEXT = 'pulumi-backend master key canary v1'

/** An encrypted known value stored in the database, so a wrong master key is caught at startup. */
export function makeCanary(key: MasterKey): string {
  return key.wrap(Buffer.from(CANARY_TEXT), CANARY_CONTEXT).toString('base64')
}

export function canaryMatches(key: MasterKey, canary: string): boolean {
  return key.unwrap(Buffer.from(canary, 'base64'), CANARY_CONTEXT)?.toString() === CANARY_TEXT
}
