import type { ProviderConfig } from '../config/load-config.js'
import type { MetaStore } from '../db/meta-store.js'
import { describeError } from '../lib/describe-error.js'
import { AwsKmsProvider } from './aws-kms-provider.js'
import { GcpKmsProvider } from './gcp-kms-provider.js'
import {
  CANARY_META_KEYS,
  canaryOpens,
  type KeyProvider,
  makeCanary,
  type SecretsProviderKind,
} from './key-provider.js'
import { MasterKey } from './master-key.js'

/** The configured keys cannot protect this database; the message tells the operator what to do. */
export class KeyCheckError extends Error {
  override name = 'KeyCheckError'
}

/** The provider a configuration names. A local provider without a key is left to `unlockSecrets` (it may generate). */
export function keyProviderFor(config: ProviderConfig): KeyProvider {
  if (config.provider === 'awskms' && config.kmsKey) return new AwsKmsProvider(config.kmsKey)
  if (config.provider === 'gcpkms' && config.kmsKey)
    return new GcpKmsProvider(config.kmsKey, config.kmsEndpoint)
  if (config.provider === 'local' && config.masterKey) return MasterKey.fromHex(config.masterKey)
  throw new KeyCheckError(`-secrets-provider=${config.provider} is missing its key`)
}

/**
 * The startup check of the key provider against the database's canary (cmd/pulumi-backend/startup_secrets.go ::
 * verifySecretsProvider in the Go server, per provider here): a new database gets the provider's canary; an
 * existing one must open it with the configured key, and a database whose keys another provider wraps is refused
 * with the migration to run. A KMS that cannot be reached fails the start, naming the key.
 */
export async function unlockSecrets(
  meta: MetaStore,
  config: ProviderConfig,
): Promise<{ keys: KeyProvider; generatedHex: string | undefined }> {
  const canaries = await storedCanaries(meta)
  const own = canaries.get(config.provider)
  const other = [...canaries.keys()].find((kind) => kind !== config.provider)

  if (config.provider === 'local' && !config.masterKey) {
    if (canaries.size > 0) {
      throw new KeyCheckError(
        'this database is protected by a master key, but none was given; ' +
          'start with -master-key=<64 hex chars> or set PULUMI_BACKEND_MASTER_KEY to the key printed on first start',
      )
    }
    const generated = MasterKey.generate()
    await meta.setIfAbsent(CANARY_META_KEYS.local, await makeCanary(generated.key))
    return { keys: generated.key, generatedHex: generated.hex }
  }

  const keys = keyProviderFor(config)
  if (own === undefined && other !== undefined) {
    throw new KeyCheckError(
      `this database's secret keys are wrapped by the ${other} provider, not ${config.provider}; start with ` +
        `-secrets-provider=${other}, or move them once with -migrate-secrets-key -old-secrets-provider=${other} (see README)`,
    )
  }
  const canary =
    own ?? (await meta.setIfAbsent(CANARY_META_KEYS[config.provider], await guarded(keys, makeCanary)))
  if (!(await guarded(keys, (k) => canaryOpens(k, canary)))) {
    throw new KeyCheckError(
      config.provider === 'local'
        ? 'the configured master key does not match the one this database was created with; ' +
            'start with the original -master-key (PULUMI_BACKEND_MASTER_KEY), or secrets stored here cannot be decrypted'
        : `${keys.description} does not open this database's key canary: it is not the key this database's ` +
            'secrets were wrapped with; start with the original -kms-key',
    )
  }
  return { keys, generatedHex: undefined }
}

export async function storedCanaries(meta: MetaStore): Promise<Map<SecretsProviderKind, string>> {
  const found = new Map<SecretsProviderKind, string>()
  for (const [kind, key] of Object.entries(CANARY_META_KEYS) as [SecretsProviderKind, string][]) {
    const value = await meta.get(key)
    if (value !== undefined) found.set(kind, value)
  }
  return found
}

/** A provider that cannot be reached is reported by its key and the service's error, never with credentials. */
async function guarded<T>(keys: KeyProvider, use: (keys: KeyProvider) => Promise<T>): Promise<T> {
  try {
    return await use(keys)
  } catch (error) {
    throw new KeyCheckError(`cannot use ${keys.description}: ${describeError(error)}`)
  }
}
