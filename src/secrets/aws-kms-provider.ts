import type { KMSClient } from '@aws-sdk/client-kms'
import type { KeyProvider } from './key-provider.js'

type KmsModule = typeof import('@aws-sdk/client-kms')

/** Errors by which AWS KMS says "this ciphertext is not for this key", as opposed to "I cannot answer". */
const NOT_THIS_KEY = new Set(['InvalidCiphertextException', 'IncorrectKeyException'])

/**
 * `-secrets-provider=awskms -kms-key=<key id, ARN or alias>`: data keys are wrapped by AWS KMS Encrypt/Decrypt
 * (symmetric key), with the wrap context as the KMS encryption context (AWS's AAD). The SDK is loaded only when
 * this provider is configured; region, endpoint and credentials come from its standard chain (AWS_REGION,
 * AWS_ENDPOINT_URL_KMS, AWS_PROFILE, roles…), never from our options or logs.
 */
export class AwsKmsProvider implements KeyProvider {
  readonly kind = 'awskms'
  readonly description: string
  #client: Promise<{ kms: KmsModule; client: KMSClient }> | undefined

  constructor(private readonly keyId: string) {
    this.description = `AWS KMS key ${keyId}`
  }

  async wrap(plaintext: Buffer, context: string): Promise<Buffer> {
    const { kms, client } = await this.#connect()
    const answer = await client.send(
      new kms.EncryptCommand({
        KeyId: this.keyId,
        Plaintext: plaintext,
        EncryptionContext: { purpose: context },
      }),
    )
    if (!answer.CiphertextBlob) throw new Error('AWS KMS Encrypt returned no ciphertext')
    return Buffer.from(answer.CiphertextBlob)
  }

  async unwrap(wrapped: Buffer, context: string): Promise<Buffer | undefined> {
    const { kms, client } = await this.#connect()
    try {
      const answer = await client.send(
        new kms.DecryptCommand({
          // Naming the key makes KMS refuse a ciphertext of another key instead of decrypting it.
          KeyId: this.keyId,
          CiphertextBlob: wrapped,
          EncryptionContext: { purpose: context },
        }),
      )
      return answer.Plaintext ? Buffer.from(answer.Plaintext) : undefined
    } catch (error) {
      if (NOT_THIS_KEY.has((error as Error).name)) return undefined
      throw error
    }
  }

  #connect(): Promise<{ kms: KmsModule; client: KMSClient }> {
    this.#client ??= import('@aws-sdk/client-kms').then((kms) => ({
      kms,
      // An ARN names its region; otherwise the SDK's chain (AWS_REGION, profile) decides.
      client: new kms.KMSClient(regionOf(this.keyId) ? { region: regionOf(this.keyId) } : {}),
    }))
    return this.#client
  }
}

function regionOf(keyId: string): string | undefined {
  return /^arn:aws[\w-]*:kms:([a-z0-9-]+):/.exec(keyId)?.[1]
}
