import { randomBytes } from 'node:crypto'
import type { Clock } from '../lib/clock.js'
import { LruCache } from '../lib/lru.js'
import { open, seal } from '../secrets/aes-gcm.js'
import type { KeyProvider } from '../secrets/key-provider.js'
import type { MasterKey } from '../secrets/master-key.js'
import type { EnvironmentStore } from './environment-store.js'
import type { Decrypter } from './eval/evaluator.js'

// Per-organization envelope encryption for ESC: one random 256-bit data key per org, wrapped by the configured
// secrets provider (-secrets-provider: local master key, AWS KMS, Cloud KMS) exactly like stack keys, and moved
// by -migrate-secrets-key with them. `fn::secret` values and open-session payloads are sealed with AES-256-GCM and
// bound to their purpose and org, so a ciphertext copied across orgs or purposes is refused. Secrets are also bound
// to their environment: with per-environment permissions, a ciphertext copied from an environment one may only
// read into one that one may open (or into anonymous YAML) must not decrypt.
export class OrgKeys {
  readonly #keys = new LruCache<string, Promise<Buffer>>(1_000)

  constructor(
    private readonly deps: {
      store: EnvironmentStore
      keys: KeyProvider
      clock: Clock
      /**
       * The server key, which wrapped org keys before they followed the secrets provider (it is the master key
       * itself with the local provider). A key it still opens is re-wrapped by the provider on first use.
       */
      legacy?: MasterKey
    },
  ) {}

  async sealSecret(org: string, environmentId: string, plaintext: Uint8Array): Promise<Buffer> {
    return seal(await this.#dataKey(org), plaintext, secretContext(org, environmentId))
  }

  /** `environmentId` undefined: an anonymous environment, which has no secrets of its own to decrypt. */
  async openSecret(org: string, environmentId: string | undefined, sealed: Uint8Array): Promise<Buffer> {
    if (environmentId === undefined) {
      throw new Error(
        'an anonymous environment cannot decrypt ciphertext; import the environment that holds it',
      )
    }
    const key = await this.#dataKey(org)
    // Secrets written before environment binding are bound to the organization only.
    const plaintext =
      open(key, sealed, secretContext(org, environmentId)) ?? open(key, sealed, secretContext(org))
    if (!plaintext) throw new Error('the ciphertext was not encrypted for this environment by this server')
    return plaintext
  }

  decrypterFor(org: string, environmentId: string | undefined): Decrypter {
    return { decrypt: (ciphertext) => this.openSecret(org, environmentId, ciphertext) }
  }

  async sealSession(org: string, payload: Uint8Array): Promise<Buffer> {
    return seal(await this.#dataKey(org), payload, sessionContext(org))
  }

  async openSession(org: string, sealed: Uint8Array): Promise<Buffer | undefined> {
    return open(await this.#dataKey(org), sealed, sessionContext(org))
  }

  #dataKey(org: string): Promise<Buffer> {
    let key = this.#keys.get(org)
    if (!key) {
      key = this.#loadOrCreate(org)
      key.catch(() => this.#keys.delete(org))
      this.#keys.set(org, key)
    }
    return key
  }

  async #loadOrCreate(org: string): Promise<Buffer> {
    const { store, keys, clock, legacy } = this.deps
    const context = escKeyContext(org)
    // First writer wins in the database, so concurrent first use (even across replicas) settles on one key.
    const wrapped =
      (await store.getOrgKey(org)) ??
      (await store.insertOrgKeyIfAbsent(org, await keys.wrap(randomBytes(32), context), clock.now()))
    const key = await keys.unwrap(wrapped, context)
    if (key) return key
    const old = legacy?.unwrap(wrapped, context)
    if (!old)
      throw new Error(`the ESC key of organization ${org} cannot be unwrapped with ${keys.description}`)
    await store.replaceOrgKey(org, wrapped, await keys.wrap(old, context))
    return old
  }
}

/** The context (AAD / KMS encryption context) an organization's ESC key is wrapped for. */
export const escKeyContext = (org: string) => `pulumi-backend:esc-org-key:${org}`
const secretContext = (org: string, environmentId?: string) =>
  `pulumi-backend:esc-secret:${org}${environmentId === undefined ? '' : `:${environmentId}`}`
const sessionContext = (org: string) => `pulumi-backend:esc-open-session:${org}`
