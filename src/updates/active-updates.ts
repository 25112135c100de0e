import type { Update } from './update.js'

export interface ActiveUpdate {
  update: Update
  stack: { org: string; project: string; name: string }
}

/**
 * The running updates of this server process, written through on every change the service makes, so the hot
 * upload path (lease check, journal batch, events) needs no query. The database stays the truth: anything not
 * found here is read from it. (A multi-node deployment must not rely on this cache without validation.)
 */
export class ActiveUpdates {
  readonly #byId = new Map<string, ActiveUpdate>()
  readonly #byLeaseHash = new Map<string, string>()

  get(updateId: string): ActiveUpdate | undefined {
    return this.#byId.get(updateId)
  }

  byLeaseHash(tokenHash: string): ActiveUpdate | undefined {
    const id = this.#byLeaseHash.get(tokenHash)
    return id === undefined ? undefined : this.#byId.get(id)
  }

  /** Records a running update (or its new state); anything else is forgotten. */
  put(active: ActiveUpdate): void {
    this.remove(active.update.id)
    if (active.update.status !== 'running') return
    this.#byId.set(active.update.id, active)
    for (const hash of [active.update.leaseTokenHash, active.update.previousLeaseTokenHash]) {
      if (hash) this.#byLeaseHash.set(hash, active.update.id)
    }
  }

  remove(updateId: string): void {
    const existing = this.#byId.get(updateId)
    if (!existing) return
    this.#byId.delete(updateId)
    for (const hash of [existing.update.leaseTokenHash, existing.update.previousLeaseTokenHash]) {
      if (hash && this.#byLeaseHash.get(hash) === updateId) this.#byLeaseHash.delete(hash)
    }
  }
}
