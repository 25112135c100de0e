import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'

const require = createRequire(import.meta.url)
// The protos the official client ships (and google-gax's for the common google/* imports): the real wire contract.
const kmsProtos = join(dirname(require.resolve('@google-cloud/kms/package.json')), 'build/protos')
const gaxEntry = require.resolve('google-gax', { paths: [kmsProtos] })
const gaxProtos = join(gaxEntry.slice(0, gaxEntry.lastIndexOf('/build/')), 'build/protos')

interface CryptoRequest {
  name: string
  plaintext?: Buffer
  ciphertext?: Buffer
  additionalAuthenticatedData?: Buffer
}

/**
 * A local Cloud KMS: a gRPC server implementing google.cloud.kms.v1.KeyManagementService's Encrypt and Decrypt
 * from the client's own protos, for symmetric keys named projects/…/cryptoKeys/…, with the additional
 * authenticated data bound as AES-GCM associated data. Answers NOT_FOUND for an unknown key and INVALID_ARGUMENT
 * for a ciphertext that does not decrypt, as Cloud KMS does.
 */
export class LocalGcpKms {
  readonly #keys = new Map<string, Buffer>()
  readonly calls: string[] = []
  readonly #server = new grpc.Server()
  endpoint = ''

  createKey(name: string): string {
    const full = `projects/test/locations/global/keyRings/pulumi/cryptoKeys/${name}`
    this.#keys.set(full, randomBytes(32))
    return full
  }

  async start(): Promise<void> {
    const definition = protoLoader.loadSync('google/cloud/kms/v1/service.proto', {
      includeDirs: [kmsProtos, gaxProtos],
      keepCase: false,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    })
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      google: { cloud: { kms: { v1: { KeyManagementService: { service: grpc.ServiceDefinition } } } } }
    }
    this.#server.addService(loaded.google.cloud.kms.v1.KeyManagementService.service, {
      encrypt: (call: grpc.ServerUnaryCall<CryptoRequest, unknown>, done: grpc.sendUnaryData<unknown>) => {
        this.calls.push('Encrypt')
        const key = this.#keys.get(call.request.name)
        if (!key)
          return done({ code: grpc.status.NOT_FOUND, details: `CryptoKey ${call.request.name} not found.` })
        const nonce = randomBytes(12)
        const cipher = createCipheriv('aes-256-gcm', key, nonce)
        cipher.setAAD(call.request.additionalAuthenticatedData ?? Buffer.alloc(0))
        const body = Buffer.concat([cipher.update(call.request.plaintext ?? Buffer.alloc(0)), cipher.final()])
        done(null, {
          name: `${call.request.name}/cryptoKeyVersions/1`,
          ciphertext: Buffer.concat([nonce, body, cipher.getAuthTag()]),
        })
      },
      decrypt: (call: grpc.ServerUnaryCall<CryptoRequest, unknown>, done: grpc.sendUnaryData<unknown>) => {
        this.calls.push('Decrypt')
        const key = this.#keys.get(call.request.name)
        if (!key)
          return done({ code: grpc.status.NOT_FOUND, details: `CryptoKey ${call.request.name} not found.` })
        const blob = call.request.ciphertext ?? Buffer.alloc(0)
        try {
          const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(0, 12))
          decipher.setAAD(call.request.additionalAuthenticatedData ?? Buffer.alloc(0))
          decipher.setAuthTag(blob.subarray(blob.length - 16))
          const plaintext = Buffer.concat([
            decipher.update(blob.subarray(12, blob.length - 16)),
            decipher.final(),
          ])
          done(null, { plaintext, usedPrimary: true })
        } catch {
          done({
            code: grpc.status.INVALID_ARGUMENT,
            details: 'Decryption failed: the ciphertext is invalid.',
          })
        }
      },
    })
    const port = await new Promise<number>((resolve, reject) =>
      this.#server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    )
    this.endpoint = `127.0.0.1:${port}`
  }

  async close(): Promise<void> {
    this.#server.forceShutdown()
  }
}
