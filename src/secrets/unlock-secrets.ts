import { randomBytes } from 'node:crypto'
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
import { LocalKeyProvider } from './local-key-provider.js'
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
  if (config.provider === 'local' && config.masterKey) {
    return new LocalKeyProvider(MasterKey.fromHex(config.masterKey))
  }
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
): Promise<{ keys: KeyProvider; masterKey: MasterKey; generatedHex: string | undefined }> {
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
    const keys = new LocalKeyProvider(generated.key)
    await meta.setIfAbsent(CANARY_META_KEYS.local, await makeCanary(keys))
    return { keys, masterKey: generated.key, generatedHex: generated.hex }
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
  const masterKey = await guarded(keys, (k) => serverKey(meta, k))
  return { keys, masterKey, generatedHex: undefined }
}

/** meta key of the server key a KMS provider wraps. */
export const serverKeyMetaKey = (kind: SecretsProviderKind) => `${kind}_server_key`
const SERVER_KEY_CONTEXT = 'pulumi-backend:server-key'

/**
 * The server's own root key (refresh-token sealing, lease-token derivation). With the local provider it is the
 * master key; with a KMS it is a random key created once and stored wrapped by the KMS, so every replica (and
 * every restart) unwraps the same one with one KMS call at startup.
 */
async function serverKey(meta: MetaStore, keys: KeyProvider): Promise<MasterKey> {
  if (keys instanceof LocalKeyProvider) return keys.masterKey
  const name = serverKeyMetaKey(keys.kind)
  const stored =
    (await meta.get(name)) ??
    (await meta.setIfAbsent(name, (await keys.wrap(randomBytes(32), SERVER_KEY_CONTEXT)).toString('base64')))
  const plain = await keys.unwrap(Buffer.from(stored, 'base64'), SERVER_KEY_CONTEXT)
  if (!plain) throw new KeyCheckError(`${keys.description} does not open this database's server key`)
  return MasterKey.fromBytes(plain)
}

/** Moves the server key from one provider to another (migration); returns false when it had to be replaced. */
export async function moveServerKey(meta: MetaStore, from: KeyProvider, to: KeyProvider): Promise<boolean> {
  const current =
    from instanceof LocalKeyProvider
      ? from.masterKey.exportForWrapping()
      : await (async () => {
          const stored = await meta.get(serverKeyMetaKey(from.kind))
          return stored === undefined
            ? undefined
            : from.unwrap(Buffer.from(stored, 'base64'), SERVER_KEY_CONTEXT)
        })()
  if (to instanceof LocalKeyProvider) {
    if (!(from instanceof LocalKeyProvider)) await meta.delete(serverKeyMetaKey(from.kind))
    // A local server key is the master key itself: unless it is unchanged, what it sealed is lost.
    return current?.equals(to.masterKey.exportForWrapping()) === true
  }
  const name = serverKeyMetaKey(to.kind)
  const existing = await meta.get(name)
  const alreadyMoved =
    existing !== undefined &&
    (await to.unwrap(Buffer.from(existing, 'base64'), SERVER_KEY_CONTEXT)) !== undefined
  if (!alreadyMoved && current) {
    await meta.compareAndSet(name, existing, (await to.wrap(current, SERVER_KEY_CONTEXT)).toString('base64'))
  }
  if (from.kind !== to.kind && !(from instanceof LocalKeyProvider))
    await meta.delete(serverKeyMetaKey(from.kind))
  return alreadyMoved || current !== undefined
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
