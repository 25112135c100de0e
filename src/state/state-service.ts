import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { Store } from '../db/store.js'
import { ConflictError, InvalidError, NotFoundError } from '../errors.js'
import type { Clock } from '../lib/clock.js'
import { parseDecimalInteger } from '../lib/decimal.js'
import { gunzip, gzip } from '../lib/gzip.js'
import { LruCache } from '../lib/lru.js'
import { sha256HexAsync } from '../lib/sha256.js'
import type { Stack } from '../stacks/stack.js'
import { instantUpdate } from '../updates/update.js'
import { emptyDeployment, parseDeploymentInput, resourceCount } from './deployment.js'
import type { StateVersion } from './state-store.js'

export interface StateConfig {
  /** Decompressed deployments kept in memory. */
  cacheSize: number
  /** Versions kept per stack; 0 = unlimited. */
  maxStateVersions: number
}

/** A new state version, hashed (and, when small, compressed) off the event loop before any transaction. */
export interface PreparedState {
  text: Buffer
  gz: Buffer | undefined
  sha256: string
  resourceCount: number
}

// Deployments up to this size are gzipped before they are stored. Larger ones are stored as they are and gzipped
// right after the commit, so completing a 10 MB update never waits ~0.5 s for compression (gzip of random data is
// slow) and the first export after it is served at once, uncompressed.
const INLINE_GZIP_MAX_BYTES = 1024 * 1024

// -cache-size bounds the cached deployments by count (as the Go server does); this bounds them by memory too, so
// a server with many mid-size stacks stays small (the working set of updates is what matters for speed).
const TEXT_CACHE_MAX_BYTES = 64 * 1024 * 1024

/** Stack state: versions, export, import, and the cache of decompressed deployments. */
export class StateService {
  readonly #texts: LruCache<string, Buffer>
  #compressions: Promise<void> = Promise.resolve()
  #closed = false

  constructor(
    private readonly deps: {
      store: Store
      clock: Clock
      config: StateConfig
      logger: Logger
      /** Told each new latest version in the transaction that stores it (queues the resource search index). */
      onNewVersion?: (tx: Store, stack: Stack, version: number) => Promise<void>
    },
  ) {
    this.#texts = new LruCache(deps.config.cacheSize, {
      maxSize: TEXT_CACHE_MAX_BYTES,
      sizeOf: (text) => text.length,
    })
  }

  /**
   * The stack's deployment at `version` (default: current) as stored: gzip bytes are sent as they are to clients
   * that accept gzip (the CLI always does). A never-deployed stack exports an empty, valid deployment.
   */
  async exportDeployment(
    stack: Stack,
    version: number | undefined,
    acceptsGzip: boolean,
  ): Promise<{ bytes: Buffer; gzipped: boolean }> {
    const wanted = version ?? stack.version
    if (version !== undefined && version > stack.version) {
      throw new NotFoundError(
        `Not Found: stack version ${version} does not exist; the latest is ${stack.version}`,
      )
    }
    const stored = await this.deps.store.state.get(stack.id, wanted)
    if (!stored) {
      if (version !== undefined) {
        throw new NotFoundError(
          `Not Found: stack version ${version} is no longer kept (see -max-state-versions)`,
        )
      }
      return { bytes: Buffer.from(JSON.stringify(emptyDeployment())), gzipped: false }
    }
    if (stored.encoding === 'identity') return { bytes: stored.deployment, gzipped: false }
    if (acceptsGzip) return { bytes: stored.deployment, gzipped: true }
    return { bytes: await this.#decode(stored), gzipped: false }
  }

  /** The deployment text of a stack at `version`; an empty deployment for a stack that has none yet. */
  async textAt(stackId: string, version: number): Promise<Buffer> {
    const cached = this.#texts.get(cacheKey(stackId, version))
    if (cached) return cached
    const stored = await this.deps.store.state.get(stackId, version)
    if (!stored) return Buffer.from(JSON.stringify(emptyDeployment()))
    return this.#decode(stored)
  }

  async prepare(text: Buffer, resources: number): Promise<PreparedState> {
    return {
      text,
      gz: text.length <= INLINE_GZIP_MAX_BYTES ? await gzip(text) : undefined,
      sha256: await sha256HexAsync(text),
      resourceCount: resources,
    }
  }

  /**
   * Stores `state` as `version` of the stack and makes it current, within the caller's transaction. `lockedBy`:
   * the update holding the stack that writes it (null for writes that need the stack free: import, rename).
   */
  async writeVersion(
    tx: Store,
    stack: Stack,
    version: number,
    state: PreparedState,
    lockedBy: string | null = null,
  ): Promise<void> {
    const now = this.deps.clock.now()
    await tx.state.put({
      stackId: stack.id,
      version,
      deployment: state.gz ?? state.text,
      encoding: state.gz ? 'gzip' : 'identity',
      sha256: state.sha256,
      size: state.text.length,
      resourceCount: state.resourceCount,
      createdAt: now,
    })
    if (
      !(await tx.stacks.recordVersion(stack.id, {
        version,
        resourceCount: state.resourceCount,
        at: now,
        lockedBy,
      }))
    ) {
      throw new StaleVersionError()
    }
    await this.deps.onNewVersion?.(tx, stack, version)
    const pruned =
      this.deps.config.maxStateVersions > 0
        ? await tx.state.prune(stack.id, this.deps.config.maxStateVersions)
        : []
    tx.afterCommit(() => {
      // Pruned versions leave the cache too, or export/{version} would keep serving them.
      for (const old of pruned) this.#texts.delete(cacheKey(stack.id, old))
      this.#texts.set(cacheKey(stack.id, version), state.text)
      if (!state.gz) this.#compressLater(stack.id, version, state)
    })
  }

  /**
   * `pulumi stack import` and every `pulumi state` edit: replaces the current deployment synchronously, as a new
   * version with a history entry of kind `import`. Refused while an update holds the stack.
   */
  async importDeployment(stack: Stack, body: Buffer, requestedBy: string): Promise<string> {
    const deployment = parseDeploymentInput(body)
    const prepared = await this.prepare(body, resourceCount(deployment))
    const updateId = randomUUID()
    // Another writer (an import on another replica) may take the version read here first: read it again.
    await retryStaleVersion(() => this.#importAs(updateId, stack, prepared, requestedBy))
    return updateId
  }

  async #importAs(
    updateId: string,
    stack: Stack,
    prepared: PreparedState,
    requestedBy: string,
  ): Promise<void> {
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
  }

  /** Drops cached texts of a stack (after delete). */
  forget(stack: Stack): void {
    for (let version = 0; version <= stack.version; version++) this.#texts.delete(cacheKey(stack.id, version))
  }

  /** Compresses versions a previous run stored uncompressed and could not compress before it stopped. */
  async compressBacklog(): Promise<void> {
    for (const { stackId, version } of await this.deps.store.state.uncompressed(1000)) {
      const stored = await this.deps.store.state.get(stackId, version)
      if (stored?.encoding === 'identity')
        this.#compressLater(stackId, version, { text: stored.deployment, sha256: stored.sha256 })
    }
    await this.#compressions
  }

  /** Lets the compression in progress finish and skips the rest (picked up by compressBacklog next start). */
  async close(): Promise<void> {
    this.#closed = true
    await this.#compressions
  }

  // One compression at a time: gzip of a large state takes a thread-pool thread for a while, and the pool is
  // shared with the filesystem and other compression work.
  #compressLater(stackId: string, version: number, state: { text: Buffer; sha256: string }): void {
    this.#compressions = this.#compressions.then(async () => {
      if (this.#closed) return
      try {
        await this.deps.store.state.storeCompressed(stackId, version, state.sha256, await gzip(state.text))
      } catch (error) {
        this.deps.logger.warn(
          { err: error, stackId, version },
          'state compression failed; it stays uncompressed',
        )
      }
    })
  }

  async #decode(stored: StateVersion): Promise<Buffer> {
    const text = stored.encoding === 'gzip' ? await gunzip(stored.deployment) : stored.deployment
    this.#texts.set(cacheKey(stored.stackId, stored.version), text)
    return text
  }
}

/** A state version was written on a stack that moved on meanwhile; the transaction is rolled back. */
export class StaleVersionError extends ConflictError {
  constructor() {
    super('Conflict: the stack changed while its new state was being written; try again')
  }
}

/** Runs a read-version-then-write transaction again when another writer took the version first. */
export async function retryStaleVersion<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work()
    } catch (error) {
      if (!(error instanceof StaleVersionError) || attempt >= attempts) throw error
    }
  }
}

const cacheKey = (stackId: string, version: number) => `${stackId}@${version}`

export function requirePositiveVersion(raw: string): number {
  // Only the canonical decimal form the CLI sends (`/export/%d`).
  const version = parseDecimalInteger(raw, 1)
  if (version === undefined) {
    throw new InvalidError(`Bad Request: invalid stack version '${raw}'; versions are positive integers`)
  }
  return version
}
