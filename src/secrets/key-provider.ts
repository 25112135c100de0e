/** Which service wraps the per-stack data keys (-secrets-provider). */
export type SecretsProviderKind = 'local' | 'awskms' | 'gcpkms'

/**
 * The key-encryption key behind one interface: the local master key, or a cloud KMS key. `context` binds a wrapped
 * key to its use (AES-GCM associated data locally, the encryption context / AAD in a KMS), so a wrapped key copied
 * to another stack does not unwrap.
 */
export interface KeyProvider {
  readonly kind: SecretsProviderKind
  /** For messages: which key, without any secret (e.g. the KMS key name). */
  readonly description: string
  wrap(plaintext: Buffer, context: string): Promise<Buffer>
  /**
   * The plaintext, or undefined when this key did not wrap `wrapped` for `context` (another key, tampered bytes).
   * Throws when the provider cannot answer (network, permissions): that is not a wrong key.
   */
  unwrap(wrapped: Buffer, context: string): Promise<Buffer | undefined>
}

/** Where each provider's canary lives in `meta` (the local one keeps the name it always had). */
export const CANARY_META_KEYS: Readonly<Record<SecretsProviderKind, string>> = {
  local: 'master_key_canary',
  awskms: 'awskms_canary',
  gcpkms: 'gcpkms_canary',
}

const CANARY_CONTEXT = 'pulumi-backend:master-key-canary'
const CANARY_TEXT = 'pulumi-backend master key canary v1'

/** An encrypted known value stored in the database, so a wrong key is caught at startup, not as lost secrets. */
export async function makeCanary(provider: KeyProvider): Promise<string> {
  return (await provider.wrap(Buffer.from(CANARY_TEXT), CANARY_CONTEXT)).toString('base64')
}

export async function canaryOpens(provider: KeyProvider, canary: string): Promise<boolean> {
  const plaintext = await provider.unwrap(Buffer.from(canary, 'base64'), CANARY_CONTEXT)
  return plaintext?.toString() === CANARY_TEXT
}
