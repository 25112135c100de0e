import type { KeyManagementServiceClient } from '@google-cloud/kms'
import type { KeyProvider } from './key-provider.js'

/** gRPC INVALID_ARGUMENT: Cloud KMS's answer to a ciphertext that is not for this key (or is corrupt). */
const INVALID_ARGUMENT = 3

/**
 * `-secrets-provider=gcpkms -kms-key=projects/P/locations/L/keyRings/R/cryptoKeys/K`, as the Go server: Cloud KMS
 * Encrypt/Decrypt with the wrap context as additional authenticated data. The client is loaded only when this
 * provider is configured; credentials come from Application Default Credentials. `endpoint` (host:port) replaces
 * cloudkms.googleapis.com; to a loopback address it speaks plaintext gRPC without credentials (local emulators).
 */
export class GcpKmsProvider implements KeyProvider {
  readonly kind = 'gcpkms'
  readonly description: string
  #client: Promise<KeyManagementServiceClient> | undefined

  constructor(
    private readonly keyName: string,
    private readonly endpoint: string | undefined = undefined,
  ) {
    this.description = `Cloud KMS key ${keyName}`
  }

  async wrap(plaintext: Buffer, context: string): Promise<Buffer> {
    const client = await this.#connect()
    const [answer] = await client.encrypt({
      name: this.keyName,
      plaintext,
      additionalAuthenticatedData: Buffer.from(context),
    })
    if (!answer.ciphertext || answer.ciphertext.length === 0)
      throw new Error('Cloud KMS Encrypt returned no ciphertext')
    return Buffer.from(answer.ciphertext as Uint8Array)
  }

  async unwrap(wrapped: Buffer, context: string): Promise<Buffer | undefined> {
    const client = await this.#connect()
    try {
      const [answer] = await client.decrypt({
        name: this.keyName,
        ciphertext: wrapped,
        additionalAuthenticatedData: Buffer.from(context),
      })
      return answer.plaintext ? Buffer.from(answer.plaintext as Uint8Array) : undefined
    } catch (error) {
      if ((error as { code?: number }).code === INVALID_ARGUMENT) return undefined
      throw error
    }
  }

  #connect(): Promise<KeyManagementServiceClient> {
    this.#client ??= (async () => {
      const kms = await import('@google-cloud/kms')
      if (!this.endpoint) return new kms.KeyManagementServiceClient()
      const url = new URL(`grpc://${this.endpoint}`)
      const host = url.hostname.replace(/^\[|\]$/g, '')
      const port = Number(url.port || 443)
      if (!isLoopback(host)) return new kms.KeyManagementServiceClient({ apiEndpoint: host, port })
      const grpc = await import('@grpc/grpc-js')
      return new kms.KeyManagementServiceClient({
        apiEndpoint: host,
        port,
        sslCreds: grpc.credentials.createInsecure(),
      })
    })()
    return this.#client
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host)
}
