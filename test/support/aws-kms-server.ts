import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { LoopbackHttpService, readBody } from './loopback-http.js'

/**
 * A small AWS KMS on loopback speaking the service's wire protocol (JSON 1.1: `POST /` with
 * `X-Amz-Target: TrentService.<Operation>`, base64 blobs, `{"__type", "message"}` errors), enough for the official
 * @aws-sdk/client-kms: Encrypt, Decrypt and GenerateDataKey on symmetric keys addressed by id, ARN, alias name or
 * alias ARN, with encryption contexts bound as AES-GCM associated data, as KMS binds them. It checks that requests
 * are SigV4-signed for the kms service (it cannot check the signature itself without the secret, which is fine: the
 * client is what is under test). `failEncryptAfter` injects an outage to test interrupted work.
 */
export class LocalAwsKms extends LoopbackHttpService {
  readonly region = 'us-east-1'
  readonly account = '111122223333'
  readonly #keys = new Map<string, Buffer>()
  readonly #aliases = new Map<string, string>()
  readonly calls: { operation: string; keyId: string | undefined }[] = []
  /** After this many more successful Encrypt calls, Encrypt answers 503 until reset to undefined. */
  failEncryptAfter: number | undefined

  /** Creates a key and an alias (`alias/<name>`) for it; returns the key's ARN. */
  createKey(alias: string): string {
    const id = crypto.randomUUID()
    this.#keys.set(id, randomBytes(32))
    this.#aliases.set(`alias/${alias}`, id)
    return this.arnOf(id)
  }

  arnOf(id: string): string {
    return `arn:aws:kms:${this.region}:${this.account}:key/${id}`
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req)
    const reply = (status: number, body: unknown, type?: string) => {
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': crypto.randomUUID(),
        ...(type && { 'x-amzn-errortype': type }),
      })
      res.end(JSON.stringify(body))
    }
    const fail = (status: number, type: string, message: string) =>
      reply(status, { __type: type, message }, type)
    const target = String(req.headers['x-amz-target'] ?? '')
    const auth = String(req.headers.authorization ?? '')
    if (req.method !== 'POST' || !target.startsWith('TrentService.')) {
      return fail(400, 'UnknownOperationException', 'not a KMS request')
    }
    if (!/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/kms\/aws4_request/.test(auth)) {
      return fail(400, 'MissingAuthenticationTokenException', 'Request is missing Authentication Token')
    }
    const operation = target.slice('TrentService.'.length)
    let input: Record<string, unknown>
    try {
      input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>
    } catch {
      return fail(400, 'SerializationException', 'body is not JSON')
    }
    this.calls.push({ operation, keyId: input.KeyId as string | undefined })
    const context = canonicalContext(input.EncryptionContext)
    switch (operation) {
      case 'Encrypt':
      case 'GenerateDataKey': {
        const id = this.#resolve(input.KeyId)
        if (!id) return fail(400, 'NotFoundException', `Key '${String(input.KeyId)}' does not exist`)
        if (this.failEncryptAfter !== undefined && this.failEncryptAfter-- <= 0) {
          return fail(503, 'KMSInternalException', 'injected outage')
        }
        const plaintext =
          operation === 'Encrypt'
            ? Buffer.from(String(input.Plaintext ?? ''), 'base64')
            : randomBytes(input.KeySpec === 'AES_128' ? 16 : Number(input.NumberOfBytes ?? 32))
        if (plaintext.length < 1 || plaintext.length > 4096) {
          return fail(400, 'ValidationException', 'Plaintext must be 1 to 4096 bytes')
        }
        const blob = this.#seal(id, plaintext, context)
        return reply(200, {
          CiphertextBlob: blob.toString('base64'),
          KeyId: this.arnOf(id),
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
          ...(operation === 'GenerateDataKey' && { Plaintext: plaintext.toString('base64') }),
        })
      }
      case 'Decrypt': {
        const blob = Buffer.from(String(input.CiphertextBlob ?? ''), 'base64')
        const opened = this.#open(blob, context)
        if (!opened) return fail(400, 'InvalidCiphertextException', '')
        if (input.KeyId !== undefined && this.#resolve(input.KeyId) !== opened.id) {
          return fail(
            400,
            'IncorrectKeyException',
            'The key ID in the request does not identify the key of the ciphertext',
          )
        }
        return reply(200, {
          Plaintext: opened.plaintext.toString('base64'),
          KeyId: this.arnOf(opened.id),
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        })
      }
      default:
        return fail(400, 'UnknownOperationException', `${operation} is not implemented here`)
    }
  }

  #resolve(keyId: unknown): string | undefined {
    if (typeof keyId !== 'string') return undefined
    const bare = keyId.replace(/^arn:aws:kms:[^:]+:\d+:/, '').replace(/^key\//, '')
    const id = this.#aliases.get(bare) ?? bare
    return this.#keys.has(id) ? id : undefined
  }

  // Blob: key id (36 bytes) || nonce (12) || ciphertext || tag (16); the context is the associated data.
  #seal(id: string, plaintext: Buffer, context: string): Buffer {
    const nonce = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#keys.get(id) as Buffer, nonce)
    cipher.setAAD(Buffer.from(context))
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
    return Buffer.concat([Buffer.from(id), nonce, body, cipher.getAuthTag()])
  }

  #open(blob: Buffer, context: string): { id: string; plaintext: Buffer } | undefined {
    if (blob.length < 36 + 12 + 16) return undefined
    const id = blob.subarray(0, 36).toString('latin1')
    const key = this.#keys.get(id)
    if (!key) return undefined
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(36, 48))
      decipher.setAAD(Buffer.from(context))
      decipher.setAuthTag(blob.subarray(blob.length - 16))
      return {
        id,
        plaintext: Buffer.concat([decipher.update(blob.subarray(48, blob.length - 16)), decipher.final()]),
      }
    } catch {
      return undefined
    }
  }
}

function canonicalContext(context: unknown): string {
  if (typeof context !== 'object' || context === null) return '{}'
  return JSON.stringify(
    Object.entries(context as Record<string, string>).sort(([a], [b]) => a.localeCompare(b)),
  )
}

/** Points the AWS SDK's standard chain at `kms` (as an operator's environment would): endpoint, region, credentials. */
export function useLocalKmsEnvironment(kms: LocalAwsKms): void {
  process.env.AWS_ENDPOINT_URL_KMS = kms.endpoint
  process.env.AWS_REGION = kms.region
  process.env.AWS_ACCESS_KEY_ID = 'AKIDLOCALTEST'
  process.env.AWS_SECRET_ACCESS_KEY = 'local-test-secret-never-logged'
  process.env.AWS_EC2_METADATA_DISABLED = 'true'
}
