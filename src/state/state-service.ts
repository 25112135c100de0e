import { createHash, randomUUID } from 'node:crypto'
import type { UntypedDeployment } from '../apitype/core.js'
import type { Store } from '../db/store.js'
import { ConflictError, InvalidError, NotFoundError } from '../errors.js'
import type { Clock } from '../lib/clock.js'
import { gunzip, gzip } from '../lib/gzip.js'
import { LruCache } from '../lib/lru.js'
import type { Stack } from '../stacks/stack.js'
import { instantUpdate } from '../updates/update.js'
import { emptyDeployment, parseUntypedDeployment, resourceCount } from './deployment.js'

export interface StateConfig {
  /** Decompressed deployments kept in memory. */
  cacheSize: number
  /** Versions kept per stack; 0 = unlimited. */
  maxStateVersions: number
}

/** A deployment ready to serve: the JSON text, and its gzip when one is at hand (sent as-is to gzip clients). */
export interface ExportedDeployment {
  text: () => Promise<Buffer>
  gz: () => Promise<Buffer>
}

/** A new state version, compressed and hashed off the event loop before any transaction starts. */
export interface PreparedState {
  text: Buffer
  gz: Buffer
  sha256: string
  resourceCount: number
}

export class StateService {
  readonly #texts: LruCache<string, Buffer>

  constructor(private readonly deps: { store: Store; clock: Clock; config: StateConfig }) {
    this.#texts = new LruCache(deps.config.cacheSize)
  }

  /** The stack's deployment at `version` (default: current). A never-deployed stack exports an empty deployment. */
  async exportDeployment(stack: Stack, version?: number): Promise<ExportedDeployment> {
    const wanted = version ?? stack.version
    if (version !== undefined && (version < 1 || version > stack.version)) {
      throw new NotFoundError(
        `Not Found: stack version ${version} does not exist; the latest is ${stack.version}`,
      )
    }
    const cached = this.#texts.get(cacheKey(stack.id, wanted))
    const stored = cached ? undefined : await this.deps.store.state.get(stack.id, wanted)
    if (!cached && !stored) {
      if (version !== undefined) {
        throw new NotFoundError(
          `Not Found: stack version ${version} is no longer kept (see -max-state-versions)`,
        )
      }
      const text = Buffer.from(JSON.stringify(emptyDeployment()))
      return { text: async () => text, gz: () => gzip(text) }
    }
    let text = cached
    return {
      text: async () => {
        if (!text && stored) {
          text = await gunzip(stored.deploymentGz)
          this.#texts.set(cacheKey(stack.id, wanted), text)
        }
        return text ?? Buffer.alloc(0)
      },
      gz: async () => {
        if (stored) return stored.deploymentGz
        return gzip(text ?? Buffer.alloc(0))
      },
    }
  }

  /** The deployment text of a stack at `version`; an empty deployment for a stack that has none yet. */
  async textAt(stackId: string, version: number): Promise<Buffer> {
    const cached = this.#texts.get(cacheKey(stackId, version))
    if (cached) return cached
    const stored = await this.deps.store.state.get(stackId, version)
    if (!stored) return Buffer.from(JSON.stringify(emptyDeployment()))
    const text = await gunzip(stored.deploymentGz)
    this.#texts.set(cacheKey(stackId, version), text)
    return text
  }

  /** The current deployment, parsed. */
  async currentDeployment(stack: Stack): Promise<UntypedDeployment> {
    const exported = await this.exportDeployment(stack)
    return parseUntypedDeployment(await exported.text())
  }

  async prepare(text: Buffer, deployment: UntypedDeployment): Promise<PreparedState> {
    return {
      text,
      gz: await gzip(text),
      sha256: createHash('sha256').update(text).digest('hex'),
      resourceCount: resourceCount(deployment),
    }
  }

  /** Stores `state` as `version` of the stack and makes it current. Call inside the caller's transaction. */
  async writeVersion(tx: Store, stack: Stack, version: number, state: PreparedState): Promise<void> {
    const now = this.deps.clock.now()
    await tx.state.put({
      stackId: stack.id,
      version,
      deploymentGz: state.gz,
      sha256: state.sha256,
      size: state.text.length,
      resourceCount: state.resourceCount,
      createdAt: now,
    })
    await tx.stacks.recordVersion(stack.id, { version, resourceCount: state.resourceCount, at: now })
    if (this.deps.config.maxStateVersions > 0) {
      // Pruned versions leave the cache too, or export/{version} would keep serving them.
      const pruned = await tx.state.prune(stack.id, this.deps.config.maxStateVersions)
      for (const old of pruned) this.#texts.delete(cacheKey(stack.id, old))
    }
    this.#texts.set(cacheKey(stack.id, version), state.text)
  }

  /**
   * `pulumi stack import` and every `pulumi state` edit: replaces the current deployment synchronously, as a new
   * version with a history entry of kind `import`. Refused while an update holds the stack.
   */
  async importDeployment(stack: Stack, body: Buffer, requestedBy: string): Promise<string> {
    const deployment = parseUntypedDeployment(body)
    const prepared = await this.prepare(body, deployment)
    const updateId = randomUUID()
    await this.deps.store.transaction(async (tx) => {
      const current = await tx.stacks.findById(stack.id)
      if (!current)
        throw new NotFoundError(`Not Found: stack '${stack.org}/${stack.project}/${stack.name}' not found`)
      if (current.lockedByUpdate)
        throw new ConflictError('Conflict: Another update is currently in progress.')
      const version = current.version + 1
      const now = this.deps.clock.now()
      await tx.updates.insert(
        instantUpdate({
          id: updateId,
          stackId: stack.id,
          kind: 'import',
          version,
          requestedBy,
          at: now,
          resourceCount: prepared.resourceCount,
        }),
      )
      await this.writeVersion(tx, current, version, prepared)
      await tx.stacks.setLastUpdate(stack.id, updateId, now)
    })
    return updateId
  }

  /** Drops cached texts of a stack (after delete). */
  forget(stack: Stack): void {
    for (let version = 0; version <= stack.version; version++) this.#texts.delete(cacheKey(stack.id, version))
  }
}

const cacheKey = (stackId: string, version: number) => `${stackId}@${version}`

export function requirePositiveVersion(raw: string): number {
  // Only the canonical decimal form the CLI sends (`/export/%d`); Number() would also take "1e0", "0x1" or " 1".
  const version = /^[1-9][0-9]*$/.test(raw) ? Number(raw) : Number.NaN
  if (!Number.isSafeInteger(version)) {
    throw new InvalidError(`Bad Request: invalid stack version '${raw}'; versions are positive integers`)
  }
  return version
}
