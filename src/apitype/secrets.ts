import { Type } from 'typebox'

// sdk/go/common/apitype: EncryptValueRequest, DecryptValueRequest, BatchEncryptRequest, BatchDecryptRequest.
// Byte fields are base64 strings, as Go's encoding/json writes []byte.

// The CLI batches at most 1000 values (pkg/resource/stack/secrets.go); allow headroom for other clients.
const MAX_BATCH = 10_000

export const EncryptValueRequest = Type.Object({ plaintext: Type.String() })
export const DecryptValueRequest = Type.Object({ ciphertext: Type.String() })
export const BatchEncryptRequest = Type.Object({
  plaintexts: Type.Array(Type.String(), { maxItems: MAX_BATCH }),
})
export const BatchDecryptRequest = Type.Object({
  ciphertexts: Type.Array(Type.String(), { maxItems: MAX_BATCH }),
})
export const LogDecryptionRequest = Type.Object({ secretName: Type.Optional(Type.String()) })
export const LogBatchDecryptionRequest = Type.Object({ commandName: Type.Optional(Type.String()) })
