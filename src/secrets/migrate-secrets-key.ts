import type { MetaStore } from '../db/meta-store.js'
import { CANARY_META_KEYS, canaryOpens, type KeyProvider, makeCanary } from './key-provider.js'
import { keyContext } from './secrets-service.js'
import type { StackKeyStore } from './stack-key-store.js'
import { moveServerKey, storedCanaries } from './unlock-secrets.js'

/** The migration cannot proceed; the message says why and what to check. Nothing was left half-done. */
export class MigrationError extends Error {
  override name = 'MigrationError'
}

export interface MigrationReport {
  total: number
  /** Keys re-wrapped by this run. */
  rewrapped: number
  /** Keys a previous, interrupted run had already re-wrapped. */
  alreadyDone: number
}

const PAGE = 200

/** One table of data keys wrapped by the provider: stack keys, ESC organization keys. */
export interface WrappedKeySet {
  /** For messages: `stack`, `ESC organization`. */
  label: string
  page(after: string, limit: number): Promise<{ id: string; wrappedKey: Buffer }[]>
  replace(id: string, expected: Buffer, wrappedKey: Buffer): Promise<boolean>
  context(id: string): string
}

/** The stack keys as a key set. */
export function stackKeySet(stackKeys: StackKeyStore): WrappedKeySet {
  return {
    label: 'stack',
    page: async (after, limit) =>
      (await stackKeys.page(after, limit)).map((k) => ({ id: k.stackId, wrappedKey: k.wrappedKey })),
    replace: (id, expected, wrapped) => stackKeys.replace(id, expected, wrapped),
    context: keyContext,
  }
}

/**
 * -migrate-secrets-key: re-wraps every stack's data key (and every other key set given: ESC organization keys) from
 * `from` to `to` (local↔awskms, local key rotation), as
 * the Go server's runSecretsMigration, but safe to interrupt and run again: each key is written only after its new
 * wrapping was unwrapped and compared with the plaintext, with a compare-and-set on the old bytes; a key that
 * already opens with `to` is skipped; the canary moves to `to` only after every key opens with `to`. The data
 * keys themselves never change, so every stored ciphertext stays readable.
 */
export async function migrateSecretsKey(deps: {
  meta: MetaStore
  stackKeys: StackKeyStore
  /** Key sets migrated after the stack keys, the same way. */
  otherKeys?: readonly WrappedKeySet[]
  from: KeyProvider
  to: KeyProvider
  progress: (line: string) => void
}): Promise<MigrationReport> {
  const { meta, from, to, progress } = deps
  const sets = [stackKeySet(deps.stackKeys), ...(deps.otherKeys ?? [])]
  const canaries = await storedCanaries(meta)
  const oldCanary = canaries.get(from.kind)
  const oldOpens = oldCanary !== undefined && (await canaryOpens(from, oldCanary))
  if (!oldOpens) {
    const newCanary = canaries.get(to.kind)
    if (newCanary !== undefined && (await canaryOpens(to, newCanary))) {
      progress(`the canary already opens with ${to.description}: checking that every key does too`)
    } else {
      throw new MigrationError(
        `${from.description} (the -old-* key) does not open this database's key canary; check -old-secrets-provider ` +
          'and its key: they must be the ones the server runs with today',
      )
    }
  }

  const report: MigrationReport = { total: 0, rewrapped: 0, alreadyDone: 0 }
  for (const set of sets) await migrateSet(set, from, to, report, progress)

  progress(`verifying: every one of ${report.total} keys opens with ${to.description}…`)
  for (const set of sets) await verifySet(set, to)

  if (oldOpens && !(await moveServerKey(meta, from, to))) {
    progress(
      'note: the server key changes with this migration: stored login refresh tokens (oidc/google) can no longer ' +
        'be read, so those users log in again; run it while no update is in progress',
    )
  }
  await moveCanary(meta, from, to, oldOpens ? oldCanary : undefined)
  progress(
    `done: ${report.total} keys now wrapped by ${to.description} (${report.rewrapped} re-wrapped now, ` +
      `${report.alreadyDone} by an earlier run)`,
  )
  return report
}

/** Last step: the new canary is written before the old one goes, so a crash in between leaves a startable state. */
async function moveCanary(
  meta: MetaStore,
  from: KeyProvider,
  to: KeyProvider,
  oldCanary: string | undefined,
) {
  if (oldCanary === undefined) return
  const canary = await makeCanary(to)
  if (from.kind === to.kind) {
    if (!(await meta.compareAndSet(CANARY_META_KEYS[to.kind], oldCanary, canary))) {
      throw new MigrationError('the key canary changed during the migration; is a server running?')
    }
    return
  }
  const existing = await meta.get(CANARY_META_KEYS[to.kind])
  await meta.compareAndSet(CANARY_META_KEYS[to.kind], existing, canary)
  await meta.delete(CANARY_META_KEYS[from.kind])
}

/** Re-wraps one key set, skipping keys `to` already opens (an earlier, interrupted run). */
async function migrateSet(
  set: WrappedKeySet,
  from: KeyProvider,
  to: KeyProvider,
  report: MigrationReport,
  progress: (line: string) => void,
): Promise<void> {
  let after = ''
  for (;;) {
    const page = await set.page(after, PAGE)
    if (page.length === 0) return
    for (const { id, wrappedKey } of page) {
      report.total++
      const context = set.context(id)
      if (await to.unwrap(wrappedKey, context)) {
        report.alreadyDone++
        continue
      }
      const plaintext = await from.unwrap(wrappedKey, context)
      if (!plaintext) {
        throw new MigrationError(
          `the key of ${set.label} ${id} opens with neither ${from.description} nor ${to.description}; stopped, ` +
            `${report.rewrapped} keys re-wrapped so far (run again after fixing: finished keys are skipped)`,
        )
      }
      const rewrapped = await to.wrap(plaintext, context)
      const check = await to.unwrap(rewrapped, context)
      if (!check?.equals(plaintext)) {
        throw new MigrationError(
          `the new wrapping of ${set.label} ${id}'s key did not verify; nothing written for it`,
        )
      }
      if (!(await set.replace(id, wrappedKey, rewrapped))) {
        throw new MigrationError(
          `the key of ${set.label} ${id} changed during the migration; is a server running?`,
        )
      }
      report.rewrapped++
      progress(`  re-wrapped ${report.total}: ${set.label} ${id}`)
    }
    after = page.at(-1)?.id ?? after
  }
}

async function verifySet(set: WrappedKeySet, to: KeyProvider): Promise<void> {
  let after = ''
  for (;;) {
    const page = await set.page(after, PAGE)
    if (page.length === 0) return
    for (const { id, wrappedKey } of page) {
      if (!(await to.unwrap(wrappedKey, set.context(id)))) {
        throw new MigrationError(
          `verification failed: the key of ${set.label} ${id} does not open with ${to.description}`,
        )
      }
    }
    after = page.at(-1)?.id ?? after
  }
}
