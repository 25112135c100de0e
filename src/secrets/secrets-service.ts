import { randomBytes } from 'node:crypto'
import type { Store } from '../db/store.js'
import { InvalidError } from '../errors.js'
import type { Clock } from '../lib/clock.js'
import { LruCache } from '../lib/lru.js'
import { open, seal } from './aes-gcm.js'
import type { KeyProvider } from './key-provider.js'

// Per-stack envelope encryption: one random 256-bit data key per stack, wrapped by the key provider (the local
// master key or a cloud KMS key). Values are sealed with AES-256-GCM and bound (AAD) to the stack's immutable id,
// so a rename keeps them decryptable while a ciphertext copied to another stack is refused.
export class SecretsService {
  readonly #keys = new LruCache<string, Promise<Buffer>>(10_000)

  constructor(private readonly deps: { store: Store; keys: KeyProvider; clock: Clock }) {}

  async encrypt(stackId: string, plaintexts: readonly Buffer[]): Promise<Buffer[]> {
    const key = await this.#dataKey(stackId)
    return plaintexts.map((plaintext) => seal(key, plaintext, valueContext(stackId)))
  }

  async decrypt(stackId: string, ciphertexts: readonly Buffer[]): Promise<Buffer[]> {
    const key = await this.#dataKey(stackId)
    return ciphertexts.map((ciphertext) => {
      const plaintext = open(key, ciphertext, valueContext(stackId))
      if (!plaintext) {
        throw new InvalidError(
          'Bad Request: a ciphertext could not be decrypted; it was not encrypted for this stack by this server, or it is corrupt',
        )
      }
      return plaintext
    })
  }

  #dataKey(stackId: string): Promise<Buffer> {
    let key = this.#keys.get(stackId)
    if (!key) {
      key = this.#loadOrCreateKey(stackId)
      // A failed load must not be cached, or one transient error would poison the stack until restart.
      key.catch(() => this.#keys.delete(stackId))
      this.#keys.set(stackId, key)
    }
    return key
  }

  async #loadOrCreateKey(stackId: string): Promise<Buffer> {
    const { store, keys, clock } = this.deps
    const context = keyContext(stackId)
    // insertIfAbsent is first-writer-wins in the database, so concurrent first use (even across nodes)
    // settles on exactly one key; everyone unwraps the stored one.
    // The wrap (maybe a KMS call) happens outside the transaction; the insert inside one, with the request's audit
    // event.
    let wrapped = await store.stackKeys.get(stackId)
    if (!wrapped) {
      const fresh = await keys.wrap(randomBytes(32), context)
      wrapped = await store.transaction((tx) => tx.stackKeys.insertIfAbsent(stackId, fresh, clock.now()))
    }
    const key = await keys.unwrap(wrapped, context)
    if (!key) throw new Error(`stack key of ${stackId} cannot be unwrapped with ${keys.description}`)
    return key
  }
}

export const keyContext = (stackId: string) => `pulumi-backend:stack-key:${stackId}`
const valueContext = (stackId: string) => `pulumi-backend:stack-secret:${stackId}`
