import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { systemClock } from '../lib/clock.js'
import { LocalKeyProvider } from '../secrets/local-key-provider.js'
import { MasterKey } from '../secrets/master-key.js'
import type { EnvironmentStore } from './environment-store.js'
import { escKeyContext, OrgKeys } from './org-keys.js'

/** Just the org-key part of the store, in memory. */
function keyStore(): EnvironmentStore & { keys: Map<string, Buffer> } {
  const keys = new Map<string, Buffer>()
  return {
    keys,
    getOrgKey: async (org: string) => keys.get(org),
    insertOrgKeyIfAbsent: async (org: string, wrapped: Buffer) => {
      if (!keys.has(org)) keys.set(org, wrapped)
      return keys.get(org) as Buffer
    },
    replaceOrgKey: async (org: string, expected: Buffer, wrapped: Buffer) => {
      if (!keys.get(org)?.equals(expected)) return false
      keys.set(org, wrapped)
      return true
    },
  } as unknown as EnvironmentStore & { keys: Map<string, Buffer> }
}

describe('ESC organization keys', () => {
  it('are wrapped by the configured secrets provider', async () => {
    const store = keyStore()
    const provider = new LocalKeyProvider(MasterKey.generate().key)
    const keys = new OrgKeys({ store, keys: provider, clock: systemClock })
    const sealed = await keys.sealSecret('acme', 'env-1', Buffer.from('s3cret'))
    const wrapped = store.keys.get('acme') as Buffer
    assert.ok(await provider.unwrap(wrapped, escKeyContext('acme')))
    assert.equal((await keys.openSecret('acme', 'env-1', sealed)).toString(), 's3cret')
    // Bound to the environment: another environment of the organization cannot open it.
    await assert.rejects(keys.openSecret('acme', 'env-2', sealed), /not encrypted for this environment/)
    await assert.rejects(keys.openSecret('acme', undefined, sealed), /anonymous environment/)
  })

  it('re-wraps a key the server key wrapped before (a KMS database from before) on first use', async () => {
    const store = keyStore()
    const legacy = MasterKey.generate().key
    const dataKey = randomBytes(32)
    store.keys.set('acme', legacy.wrap(dataKey, escKeyContext('acme')))
    const provider = new LocalKeyProvider(MasterKey.generate().key)
    const keys = new OrgKeys({ store, keys: provider, legacy, clock: systemClock })
    const sealed = await keys.sealSecret('acme', 'e', Buffer.from('x'))
    assert.deepEqual(await provider.unwrap(store.keys.get('acme') as Buffer, escKeyContext('acme')), dataKey)
    // The data key did not change, so a fresh instance (another replica) opens what the first sealed.
    const again = new OrgKeys({ store, keys: provider, clock: systemClock })
    assert.equal((await again.openSecret('acme', 'e', sealed)).toString(), 'x')
  })
})
