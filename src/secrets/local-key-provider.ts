import type { KeyProvider } from './key-provider.js'
import type { MasterKey } from './master-key.js'

/** `-secrets-provider=local`: the master key itself wraps the data keys (AES-256-GCM, context as AAD). */
export class LocalKeyProvider implements KeyProvider {
  readonly kind = 'local'
  readonly description = 'the local master key (-master-key)'

  constructor(readonly masterKey: MasterKey) {}

  async wrap(plaintext: Buffer, context: string): Promise<Buffer> {
    return this.masterKey.wrap(plaintext, context)
  }

  async unwrap(wrapped: Buffer, context: string): Promise<Buffer | undefined> {
    return this.masterKey.unwrap(wrapped, context)
  }
}
