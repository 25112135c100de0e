import {
  BatchDecryptRequest,
  BatchEncryptRequest,
  DecryptValueRequest,
  EncryptValueRequest,
  LogBatchDecryptionRequest,
  LogDecryptionRequest,
} from '../apitype/secrets.js'
import { StackPath } from '../apitype/stacks.js'
import type { HttpServer } from '../http/http-server.js'
import { decodeBase64 } from '../lib/base64.js'
import { stackRef } from '../stacks/stack-routes.js'
import type { StackService } from '../stacks/stack-service.js'
import type { SecretsService } from './secrets-service.js'

const STACK = '/api/stacks/:orgName/:projectName/:stackName'

/** The "service" secrets provider (pkg/secrets/service/manager.go): all byte fields are std base64. */
export function secretsRoutes(
  app: HttpServer,
  deps: { stacks: StackService; secrets: SecretsService },
): void {
  const { stacks, secrets } = deps

  app.route({
    method: 'POST',
    url: `${STACK}/encrypt`,
    config: { operationId: 'encryptValue', permission: 'stack:write', auth: 'token', body: 'secrets' },
    schema: { params: StackPath, body: EncryptValueRequest },
    handler: async (request) => {
      const plaintext = decodeBase64(request.body.plaintext, 'plaintext')
      const stack = await stacks.get(stackRef(request.params))
      const [ciphertext] = await secrets.encrypt(stack.id, [plaintext])
      return { ciphertext: ciphertext?.toString('base64') }
    },
  })

  app.route({
    method: 'POST',
    url: `${STACK}/decrypt`,
    config: { operationId: 'decryptValue', permission: 'stack:read', auth: 'token', body: 'secrets' },
    schema: { params: StackPath, body: DecryptValueRequest },
    handler: async (request) => {
      const ciphertext = decodeBase64(request.body.ciphertext, 'ciphertext')
      const stack = await stacks.get(stackRef(request.params))
      const [plaintext] = await secrets.decrypt(stack.id, [ciphertext])
      return { plaintext: plaintext?.toString('base64') }
    },
  })

  app.route({
    method: 'POST',
    url: `${STACK}/batch-encrypt`,
    config: { operationId: 'batchEncrypt', permission: 'stack:write', auth: 'token', body: 'secrets' },
    schema: { params: StackPath, body: BatchEncryptRequest },
    handler: async (request) => {
      const plaintexts = request.body.plaintexts.map((p, i) => decodeBase64(p, `plaintexts[${i}]`))
      const stack = await stacks.get(stackRef(request.params))
      const ciphertexts = await secrets.encrypt(stack.id, plaintexts)
      return { ciphertexts: ciphertexts.map((c) => c.toString('base64')) }
    },
  })

  app.route({
    method: 'POST',
    url: `${STACK}/batch-decrypt`,
    config: { operationId: 'batchDecrypt', permission: 'stack:read', auth: 'token', body: 'secrets' },
    schema: { params: StackPath, body: BatchDecryptRequest },
    handler: async (request) => {
      const encoded = request.body.ciphertexts
      const ciphertexts = encoded.map((c, i) => decodeBase64(c, `ciphertexts[${i}]`))
      const stack = await stacks.get(stackRef(request.params))
      const plaintexts = await secrets.decrypt(stack.id, ciphertexts)
      // Keyed by the exact ciphertext string the CLI sent; a missing key panics the CLI
      // (manager.go :: serviceCrypter.BatchDecrypt). A null-prototype map keeps keys like "__proto__" harmless.
      const map: Record<string, string> = Object.create(null)
      encoded.forEach((key, i) => {
        map[key] = plaintexts[i]?.toString('base64') ?? ''
      })
      return { plaintexts: map }
    },
  })

  // The CLI reports third-party decryptions for audit and ignores the answer; we validate and acknowledge.
  app.route({
    method: 'POST',
    url: `${STACK}/decrypt/log-decryption`,
    config: {
      operationId: 'log3rdPartySecretsProviderDecryptionEvent',
      permission: 'stack:read',
      auth: 'token',
    },
    schema: { params: StackPath, body: LogDecryptionRequest },
    handler: async (request) => {
      await stacks.get(stackRef(request.params))
      return {}
    },
  })

  app.route({
    method: 'POST',
    url: `${STACK}/decrypt/log-batch-decryption`,
    config: {
      operationId: 'logBulk3rdPartySecretsProviderDecryptionEvent',
      permission: 'stack:read',
      auth: 'token',
    },
    schema: { params: StackPath, body: LogBatchDecryptionRequest },
    handler: async (request) => {
      await stacks.get(stackRef(request.params))
      return {}
    },
  })
}
