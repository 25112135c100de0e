import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { UntypedDeployment } from '../apitype/core.js'
import type { JournalEntry } from '../apitype/journal.js'
import { auditScope } from '../audit/audit-scope.js'
import type { Store } from '../db/store.js'
import {
  ConflictError,
  ForbiddenError,
  InvalidError,
  NotFoundError,
  UnauthenticatedError,
} from '../errors.js'
import type { UpdateLeasePrincipal, UserPrincipal } from '../identity/principal.js'
import type { Clock } from '../lib/clock.js'
import { KeyedMutex } from '../lib/keyed-mutex.js'
import { LruCache } from '../lib/lru.js'
import { hashToken, leaseToken, sameHash } from '../lib/tokens.js'
import { formatStackRef, type Stack, type StackRef, validateTags } from '../stacks/stack.js'
import type { StackEventSink } from '../stacks/stack-events.js'
import type { StackService } from '../stacks/stack-service.js'
import { parseUntypedDeployment } from '../state/deployment.js'
import type { StateService } from '../state/state-service.js'
import type { CheckpointEdit } from './checkpoint-delta.js'
import {
  deploymentFromCheckpointText,
  untypedDeploymentFromCheckpointRequest,
  verbatimDeploymentRange,
} from './checkpoint-text.js'
import type { ParsedEventBatch } from './engine-event-batch.js'
import { newUpdate, type Update, type UpdateStatus } from './update.js'
import type { CheckpointLogRow } from './update-log-store.js'
import type { UpdateObserver } from './update-observer.js'
import type { LeaseHolder } from './update-store.js'
import { CheckpointState, JournalState, type StateText, type WorkingState } from './working-state.js'

export interface UpdateConfig {
  leaseDurationMs: number
  /** Answer journalVersion 1 at start (the CLI then journals instead of checkpointing). */
  journaling: boolean
}

export interface CreateUpdateInput {
  kind: 'update' | 'preview' | 'refresh' | 'destroy'
  dryRun: boolean
  program: Record<string, unknown>
  config: Record<string, unknown>
  message: string
  environment: Record<string, string>
}

export interface StartedUpdate {
  version: number
  token: string
  tokenExpiration: number
  journalVersion: number
}

const LOCKED = 'Conflict: Another update is currently in progress.'

/** Working states and live exports cached per process; another replica may end an update this one cached. */
const CACHED_UPDATES = 256
const LIVE_EXPORT_CACHE_BYTES = 64 * 1024 * 1024
/** Optimistic writes that lost a race to another replica: each attempt rebuilds from the log first. */
const WRITE_ATTEMPTS = 5

/** A working state valid for the update row's `appliedPosition` equal to `position`. */
interface CachedState {
  state: WorkingState
  position: number
  /**
   * The row as this process last wrote or read it, so the next upload needs no read: the conditional write
   * (status, position, token) validates it, and anything it cannot vouch for is read afresh.
   */
  row?: Update
}

/** One upload, applied to the working state and ready to be appended to the durable log. */
interface Upload {
  append: (tx: Store) => Promise<void>
  /** A working state replacing the cached one (a journal rebuild); the mutated cached one otherwise. */
  replaced?: WorkingState
}

/**
 * The update lifecycle (protocol §4.5, §6–§9): create → start (lock + lease) → checkpoints or journal entries and
 * events → complete, or cancel / lease expiry. The update row is the truth (design §6): each upload is appended
 * to the durable log in a transaction that advances the row's `applied_position` only if it is still the one the
 * working state was built at, lease checks and status changes are conditional on the row, and so any replica can
 * serve any request. Working states are a per-process cache, rebuilt from the log when behind the row.
 */
export class UpdateService {
  readonly #working = new LruCache<string, CachedState>(CACHED_UPDATES)
  readonly #exports = new LruCache<string, { position: number; text: Buffer }>(CACHED_UPDATES, {
    maxSize: LIVE_EXPORT_CACHE_BYTES,
    sizeOf: (cached) => cached.text.length,
  })
  /**
   * Which update (and stack) a lease token belongs to: fixed for the token's life, so cached. Whether it is still
   * valid is checked against the row by every request that acts on it.
   */
  readonly #holders = new LruCache<string, LeaseHolder>(4 * CACHED_UPDATES)
  // In-process only: spares same-process requests of one update from racing optimistically (retries, renewals).
  readonly #mutex = new KeyedMutex()

  constructor(
    private readonly deps: {
      store: Store
      clock: Clock
      stacks: StackService
      state: StateService
      config: UpdateConfig
      /** HMAC key of lease tokens (derived from the master key: the same on every replica). */
      leaseKey: Buffer
      logger: Logger
      observer?: UpdateObserver
      /** Told of every started update's end, in the transaction that records it (webhooks). */
      stackEvents?: StackEventSink
    },
  ) {}

  async create(user: UserPrincipal, ref: StackRef, input: CreateUpdateInput): Promise<string> {
    const stack = await this.deps.stacks.get(ref)
    const id = randomUUID()
    const update = newUpdate({
      id,
      stackId: stack.id,
      kind: input.kind,
      dryRun: input.dryRun,
      status: 'not started',
      version: 0,
      baseVersion: stack.version,
      program: input.program,
      config: input.config,
      message: input.message,
      environment: input.environment,
      requestedBy: user.login,
      createdAt: this.deps.clock.now(),
    })
    await this.deps.store.transaction((tx) => tx.updates.insert(update))
    return id
  }

  /**
   * Starts an update: a real update takes the stack lock and reserves the next version; a preview does neither
   * (recommended by protocol §9.2). Every update gets a non-empty lease token (backend.go asserts it).
   */
  async start(
    ref: StackRef,
    updateId: string,
    request: { tags?: Record<string, string> | undefined; journalVersion?: number | undefined },
  ): Promise<StartedUpdate> {
    if (request.tags) validateTags(request.tags)
    const stack = await this.deps.stacks.get(ref)
    const update = await this.#updateOf(stack, updateId)
    const alreadyStarted = new ConflictError(`Conflict: update '${updateId}' has already been started`)
    if (update.status !== 'not started') throw alreadyStarted
    if (!update.dryRun && stack.lockedByUpdate) await this.#expireIfLapsed(stack.lockedByUpdate)
    const token = leaseToken(this.deps.leaseKey, updateId, 0)
    const now = this.deps.clock.now()
    const expiresAt = now + this.deps.config.leaseDurationMs
    // client.go :: StartUpdate offers journalVersion 1; journaling only applies to real updates (runEngineAction).
    const journalVersion =
      this.deps.config.journaling && !update.dryRun && (request.journalVersion ?? 0) >= 1 ? 1 : 0
    const started = await this.deps.store.transaction(async (tx) => {
      if (!update.dryRun && !(await tx.stacks.lock(stack.id, updateId, now))) throw new ConflictError(LOCKED)
      // Read after taking the lock: no import or rename can move the version on from here.
      const current = await tx.stacks.findById(stack.id)
      if (!current) throw new NotFoundError(`Not Found: stack '${formatStackRef(ref)}' not found`)
      if (request.tags) await tx.stacks.setTags(stack.id, request.tags)
      const version = update.dryRun ? current.version : current.version + 1
      const patch = {
        status: 'running' as const,
        version,
        baseVersion: current.version,
        startedAt: now,
        leaseTokenHash: hashToken(token),
        leaseGeneration: 0,
        leaseExpiresAt: expiresAt,
        journalVersion,
      }
      // Conditional: a start racing another (a retry on another replica) takes effect once.
      if (!(await tx.updates.patchIf(updateId, { status: ['not started'] }, patch))) throw alreadyStarted
      return { version }
    })
    this.deps.observer?.updateStarted(update.kind)
    return { version: started.version, token, tokenExpiration: Math.floor(expiresAt / 1000), journalVersion }
  }

  /** `Authorization: update-token …`: the lease must belong to exactly this update of this stack. */
  async authenticateLease(token: string, params: Record<string, string>): Promise<UpdateLeasePrincipal> {
    const tokenHash = hashToken(token)
    const holder = this.#holders.get(tokenHash) ?? (await this.deps.store.updates.leaseHolder(tokenHash))
    if (!holder) throw new UnauthenticatedError('Unauthorized: the update token is not valid')
    this.#holders.set(tokenHash, holder)
    const sameStack =
      holder.org === params.orgName &&
      holder.project === params.projectName &&
      holder.stack === params.stackName
    if (holder.updateId !== params.updateId || !sameStack) {
      throw new ForbiddenError('Forbidden: the update token does not belong to this update of this stack')
    }
    return { kind: 'update-lease', updateId: holder.updateId, stackId: holder.stackId, tokenHash }
  }

  /**
   * renew_lease: the current token is replaced by the next generation's; the previous one stays valid for
   * requests in flight. A renew presenting the previous token is a retry after a lost response
   * (token_source.go renews with the token it holds; api.go :: doWithRetry repeats the request as it was): it
   * gets the current token again and rotates nothing, or the in-flight uploads would be refused.
   */
  async renewLease(
    lease: UpdateLeasePrincipal,
    durationSeconds: number,
  ): Promise<{ token: string; tokenExpiration: number }> {
    return this.#mutex.run(lease.updateId, async () => {
      await this.#running(lease, 'renew')
      const duration = Math.max(this.deps.config.leaseDurationMs, Math.min(durationSeconds, 300) * 1000)
      const expiresAt = this.deps.clock.now() + duration
      const generation = await this.deps.store.withUpdateLock(lease.updateId, async (tx) => {
        const update = await this.#writable(tx, lease, 'renew')
        const current = update.leaseGeneration
        if (!sameHash(lease.tokenHash, update.leaseTokenHash ?? '')) {
          // The previous token (a retry): answer the current one, only extending the lease.
          await tx.updates.patchIf(update.id, { leaseGeneration: current }, { leaseExpiresAt: expiresAt })
          return current
        }
        const next = current + 1
        const rotated = await tx.updates.patchIf(
          update.id,
          { status: ['running'], leaseGeneration: current },
          {
            leaseGeneration: next,
            previousLeaseTokenHash: update.leaseTokenHash,
            leaseTokenHash: hashToken(leaseToken(this.deps.leaseKey, update.id, next)),
            leaseExpiresAt: expiresAt,
          },
        )
        if (!rotated) throw new ConflictError('Conflict: the lease changed while it was being renewed')
        return next
      })
      // The cached row holds the old token hashes: read the row afresh on the next upload.
      const cached = this.#working.get(lease.updateId)
      if (cached) cached.row = undefined
      return {
        token: leaseToken(this.deps.leaseKey, lease.updateId, generation),
        tokenExpiration: Math.floor(expiresAt / 1000),
      }
    })
  }

  /** PATCH …/checkpoint (L4): the whole deployment, an idempotent replacement. */
  async saveCheckpoint(lease: UpdateLeasePrincipal, body: Buffer): Promise<void> {
    const text = untypedDeploymentFromCheckpointRequest(body)
    // Refuse a text that could not be exported now, while the CLI can still report it (not at complete).
    deploymentFromCheckpointText(text)
    await this.#saveCheckpointUpload(lease, async (state, position) => {
      state.replace(text)
      return { position, sequenceNumber: 0, kind: 'text', payload: text }
    })
  }

  /** PATCH …/checkpointverbatim (L5): the CLI's exact canonical text, kept byte for byte. */
  async saveVerbatimCheckpoint(lease: UpdateLeasePrincipal, body: Buffer): Promise<void> {
    const { text, sequenceNumber } = verbatimDeploymentRange(body)
    const copy = Buffer.from(text)
    deploymentFromCheckpointText(copy)
    await this.#saveCheckpointUpload(lease, async (state, position) => {
      state.verbatim(copy, sequenceNumber)
      return { position, sequenceNumber, kind: 'text', payload: copy }
    })
  }

  /** PATCH …/checkpointdelta (L6). */
  async saveDeltaCheckpoint(
    lease: UpdateLeasePrincipal,
    delta: { edits: CheckpointEdit[]; checkpointHash: string; sequenceNumber: number },
  ): Promise<void> {
    await this.#saveCheckpointUpload(lease, async (state, position) => {
      if (!(await state.delta(delta.edits, delta.checkpointHash, delta.sequenceNumber))) return undefined
      const payload = Buffer.from(
        JSON.stringify({ edits: delta.edits, checkpointHash: delta.checkpointHash }),
      )
      return { position, sequenceNumber: delta.sequenceNumber, kind: 'delta', payload }
    })
  }

  /** PATCH …/journalentries (L7): dedupe by sequenceID, apply, and log durably before acknowledging. */
  async saveJournalEntries(lease: UpdateLeasePrincipal, entries: JournalEntry[]): Promise<void> {
    await this.#upload(lease, 'journal', async (update, state) => {
      if (state.mode !== 'journal') throw new Error('journal update with a checkpoint working state')
      // The state is valid at the row's position, so this dedupes against every entry the log holds.
      const fresh = state.fresh(entries)
      if (fresh.length === 0) return undefined
      const append = (tx: Store) =>
        tx.updateLogs.appendJournal(
          update.id,
          fresh.map((entry) => ({ sequenceId: entry.sequenceID, entry: JSON.stringify(entry) })),
        )
      if (state.follows(fresh)) {
        state.apply(fresh)
        return { append }
      }
      // Older than an applied entry (rare): replay the log plus these entries in sequenceID order, and log them
      // only once that replay succeeded.
      const logged = await this.#loggedEntries(update.id)
      const replaced = new JournalState(await this.#baseDeployment(update), [...logged, ...fresh])
      return { append, replaced }
    })
  }

  /**
   * POST …/events/batch (L8): stored before the batch is acknowledged, so any replica's `complete` and event
   * listing see them; duplicates (retries) are ignored by sequence. The batch's summary goes on the update row.
   */
  async recordEvents(lease: UpdateLeasePrincipal, batch: ParsedEventBatch): Promise<void> {
    const update = await this.#running(lease)
    if (batch.resourceChanges) {
      await this.deps.store.updates.patchIf(
        update.id,
        { status: ['running'] },
        { resourceChanges: batch.resourceChanges },
      )
    }
    const since = performance.now()
    // The CLI sends at most 50 events per batch (state.go :: persistEngineEvents): one insert.
    await this.deps.store.updateLogs.appendEvents(
      batch.events.map((event) => ({ updateId: update.id, sequence: event.sequence, event: event.text })),
    )
    this.deps.observer?.eventsFlushed((performance.now() - since) / 1000)
  }

  /** POST …/complete (L9): stores the final state as the new version and frees the stack. Retries are no-ops. */
  async complete(
    lease: UpdateLeasePrincipal,
    status: 'succeeded' | 'failed',
    cliVersion: string,
  ): Promise<void> {
    await this.#mutex.run(lease.updateId, async () => {
      for (let attempt = 1; ; attempt++) {
        const update = await this.#load(lease.updateId)
        if (update.status === status) return
        if (update.status === 'cancelled') throw new ConflictError('Conflict: this update was cancelled')
        // Checked on this read of the row: a complete racing on another replica shows as 'raced' below.
        await this.#assertRunning(update, lease)
        const outcome = await this.#finish(update, status, cliVersion, lease)
        if (outcome === 'raced' && attempt < WRITE_ATTEMPTS) continue
        if (outcome === 'raced') throw new ConflictError('Conflict: the update changed meanwhile; try again')
        if (outcome) {
          throw new InvalidError(
            `Bad Request: the update's state is not a valid deployment (${outcome.message}); ` +
              'the update failed and the stack keeps its previous state',
          )
        }
        return
      }
    })
  }

  /** `pulumi cancel`: ends the running update with what it saved so far and frees the stack. */
  async cancel(ref: StackRef, updateId: string): Promise<void> {
    const stack = await this.deps.stacks.get(ref)
    const found = await this.#updateOf(stack, updateId)
    await this.#mutex.run(found.id, async () => {
      for (let attempt = 1; ; attempt++) {
        const update = await this.#load(found.id)
        // client.go :: CancelUpdate retries after a lost response (retryAllMethods): a repeat is a no-op.
        if (update.status === 'cancelled') return
        if (update.status !== 'running' && update.status !== 'not started') {
          throw new ConflictError('Conflict: The update has already completed.')
        }
        const outcome = await this.#finish(update, 'cancelled', '')
        if (outcome !== 'raced') return
        if (attempt >= WRITE_ATTEMPTS)
          throw new ConflictError('Conflict: the update changed meanwhile; try again')
      }
    })
  }

  /** Ends every running update whose lease ran out (the CLI died or lost the network). */
  async expireLapsedLeases(): Promise<number> {
    const lapsed = await this.deps.store.updates.expired(this.deps.clock.now())
    for (const update of lapsed) await this.#expireIfLapsed(update.id)
    return lapsed.length
  }

  /**
   * The stack as requests that need it free see it: a lock held by an update whose lease lapsed (its CLI stopped
   * renewing, token_source.go) is released first, ending that update as the expiry sweep would, so `stack import`,
   * rename, `stack rm` and `pulumi stack` agree with `pulumi up` (start does the same) between two sweeps.
   */
  async releaseLapsedLock(stack: Stack): Promise<Stack> {
    const holder = stack.lockedByUpdate
    if (!holder) return stack
    const update = await this.deps.store.updates.get(holder)
    if (update?.status === 'running' && !this.#lapsed(update)) return stack
    await this.#expireIfLapsed(holder)
    return (await this.deps.store.stacks.findById(stack.id)) ?? stack
  }

  async get(ref: StackRef, updateId: string): Promise<Update> {
    return this.#updateOf(await this.deps.stacks.get(ref), updateId)
  }

  /**
   * The stack's state while an update holds it: the update's latest acknowledged state (pending operations
   * included), as `export` shows it (Pulumi Cloud and the Go server do the same). Undefined when no update runs
   * or it uploaded nothing yet (the stored version is current). Cached per applied position: exports during an
   * update cost no replay, and a restart rebuilds the working state once from the durable log.
   */
  async liveState(stack: Stack): Promise<Buffer | undefined> {
    if (!stack.lockedByUpdate) return undefined
    const update = await this.deps.store.updates.get(stack.lockedByUpdate)
    if (update?.status !== 'running' || update.appliedPosition === 0) return undefined
    const cached = this.#exports.get(update.id)
    if (cached?.position === update.appliedPosition) return cached.text
    return this.#mutex.run(update.id, async () => {
      const current = await this.deps.store.updates.get(update.id)
      if (current?.status !== 'running') return undefined
      const { state } = await this.#workingState(current)
      const result =
        state.mode === 'journal'
          ? state.result(JOURNAL_CLI_VERSION, new Date(this.deps.clock.now()))
          : state.result()
      if (!result) return undefined
      this.#exports.set(current.id, { position: current.appliedPosition, text: result.text })
      return result.text
    })
  }

  async #expireIfLapsed(updateId: string): Promise<void> {
    await this.#mutex.run(updateId, async () => {
      for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
        const update = await this.deps.store.updates.get(updateId)
        if (update?.status !== 'running' || !this.#lapsed(update)) return
        if ((await this.#finishLapsed(update)) !== 'raced') return
      }
    })
  }

  #saveCheckpointUpload(
    lease: UpdateLeasePrincipal,
    apply: (state: CheckpointState, position: number) => Promise<CheckpointLogRow | undefined>,
  ): Promise<void> {
    return this.#upload(lease, 'checkpoint', async (update, state) => {
      if (state.mode !== 'checkpoint') throw new Error('checkpoint update with a journal working state')
      // The log position comes from the row: every replica numbers the same upload the same way.
      const row = await apply(state, update.appliedPosition + 1)
      return row && { append: (tx: Store) => tx.updateLogs.appendCheckpoint(update.id, row) }
    })
  }

  /**
   * One upload of a running update: applied to the working state valid at the row's position, then appended to
   * the log in a transaction that advances the position only if no other request (on any replica) did first
   * and the lease still holds; otherwise the state is rebuilt from the log and the upload applied again.
   */
  async #upload(
    lease: UpdateLeasePrincipal,
    mode: 'journal' | 'checkpoint',
    apply: (update: Update, state: WorkingState) => Promise<Upload | undefined>,
  ): Promise<void> {
    await this.#mutex.run(lease.updateId, async () => {
      let trustCache = true
      for (let attempt = 1; ; attempt++) {
        const cachedRow = trustCache ? this.#cachedRow(lease) : undefined
        const update = cachedRow ?? (await this.#running(lease))
        if (mode === 'journal' && update.journalVersion !== 1) {
          throw new ConflictError(
            'Conflict: this update was not started with journaling; send checkpoints instead',
          )
        }
        if (mode === 'checkpoint' && update.journalVersion === 1) {
          throw new ConflictError('Conflict: this update journals; checkpoints are not accepted')
        }
        const cached = await this.#workingState(update)
        let upload: Upload | undefined
        try {
          upload = await apply(update, cached.state)
        } catch (error) {
          // A journal state may hold a partly applied batch: rebuild it from the log on the next request.
          if (mode === 'journal') this.#working.delete(update.id)
          // Judged on this process's cached row, a refusal may only mean another replica accepted uploads since
          // (e.g. a delta "skipping ahead" of a stale sequence): judge it again on the row read afresh.
          if (cachedRow && (error instanceof ConflictError || error instanceof InvalidError)) {
            trustCache = false
            continue
          }
          throw error
        }
        if (!upload) return
        const position = update.appliedPosition
        const committed = await this.deps.store
          .withUpdateLock(update.id, async (tx) => {
            const advanced = await tx.updates.patchIf(
              update.id,
              { status: ['running'], appliedPosition: position, leaseHeldBy: lease.tokenHash },
              { appliedPosition: position + 1 },
            )
            if (advanced) await upload.append(tx)
            // Refused: the update ended or the token was rotated away (thrown here), or another upload came first.
            else await this.#writable(tx, lease)
            return advanced
          })
          .catch((error: unknown) => {
            this.#working.delete(update.id)
            throw error
          })
        if (committed) {
          this.#working.set(update.id, {
            state: upload.replaced ?? cached.state,
            position: position + 1,
            row: { ...update, appliedPosition: position + 1 },
          })
          return
        }
        // Another replica appended first: what was applied here is not in the log. Rebuild and apply again.
        this.#working.delete(update.id)
        if (attempt >= WRITE_ATTEMPTS) {
          throw new ConflictError('Conflict: the update changed meanwhile; send the request again')
        }
      }
    })
  }

  /**
   * Ends an update, conditionally on the row still being as read (status and log position): 'raced' when
   * another request or replica changed it first (complete, cancel, expiry or an upload), so the caller reads it
   * again. Returns the reason when what it uploaded does not make a valid deployment: it then fails and the
   * stack keeps its base state — throwing instead would leave the update running and the stack locked for
   * good, since lease expiry would fail the same way.
   */
  async #finish(
    update: Update,
    requested: UpdateStatus,
    cliVersion: string,
    lease?: UpdateLeasePrincipal,
  ): Promise<InvalidError | 'raced' | undefined> {
    const stack = await this.deps.store.stacks.findById(update.stackId)
    if (!stack) throw new NotFoundError('Not Found: the stack of this update no longer exists')
    const now = this.deps.clock.now()
    const real = !update.dryRun && update.status === 'running'
    let status = requested
    let final: StateText | undefined
    let refused: InvalidError | undefined
    if (real) {
      try {
        final = await this.#finalState(update, stack, cliVersion, now)
      } catch (error) {
        if (!(error instanceof InvalidError)) throw error
        this.deps.logger.error({ updateId: update.id, err: error }, 'update state is not a valid deployment')
        refused = error
        status = 'failed'
        final = await this.#baseState(update, stack)
      }
    }
    const prepared = final && (await this.deps.state.prepare(final.text, final.resourceCount))
    const ended = await this.#lockStackThenUpdate(update, async (tx) => {
      const row = await tx.updates.get(update.id)
      if (lease && row) holdsLease(row, lease)
      const transitioned = await tx.updates.patchIf(
        update.id,
        { status: [update.status], appliedPosition: update.appliedPosition },
        {
          status,
          endedAt: now,
          resourceCount: prepared ? prepared.resourceCount : stack.resourceCount,
        },
      )
      if (!transitioned) return false
      if (prepared) await this.deps.state.writeVersion(tx, stack, update.version, prepared, update.id)
      // An update cancelled before it started never held the stack and must not become its last update.
      if (!update.dryRun && update.status === 'running') {
        await tx.stacks.unlock(stack.id, update.id)
        await tx.stacks.setLastUpdate(stack.id, update.id, now)
      }
      await tx.updateLogs.clearWorkingLogs(update.id)
      if (update.status === 'running') {
        const finished = { ...(row ?? update), status, endedAt: now }
        await this.deps.stackEvents?.onStackEvent(tx, {
          kind: 'update_finished',
          stack,
          update: finished,
          succeeded: status === 'succeeded',
        })
      }
      return true
    })
    this.#working.delete(update.id)
    this.#exports.delete(update.id)
    if (ended === 'gone') throw new NotFoundError('Not Found: the stack of this update no longer exists')
    if (!ended) return 'raced'
    this.deps.observer?.updateFinished(update.kind, status, now - (update.startedAt ?? update.createdAt))
    return refused
  }

  /**
   * The lock order of every transaction that takes a stack's row and one of its updates' rows (store.ts
   * `withUpdateLock`): the stack's first. Stack-scope writes (start, delete, rename, import) lock the stack and
   * then touch its updates; ending an update (complete, cancel, expiry) writes both, so it must take the stack
   * first too, or it deadlocks against them on PostgreSQL. 'gone': the stack was deleted meanwhile.
   */
  #lockStackThenUpdate(update: Update, work: (tx: Store) => Promise<boolean>): Promise<boolean | 'gone'> {
    return this.deps.store.transaction(async (tx) => {
      if (!(await tx.stacks.findById(update.stackId))) return 'gone' as const
      return tx.withUpdateLock(update.id, work)
    })
  }

  /** The state a real update leaves: what it uploaded, or its base when it uploaded nothing. */
  async #finalState(update: Update, stack: Stack, cliVersion: string, now: number): Promise<StateText> {
    const { state } = await this.#workingState(update)
    const uploaded =
      state.mode === 'journal'
        ? state.result(cliVersion || JOURNAL_CLI_VERSION, new Date(now))
        : state.result()
    return uploaded ?? this.#baseState(update, stack)
  }

  async #baseState(update: Update, stack: Stack): Promise<StateText> {
    // The stack lock kept the base current: its resource count is the stack's.
    return {
      text: await this.deps.state.textAt(update.stackId, update.baseVersion),
      resourceCount: stack.resourceCount,
    }
  }

  /**
   * The row cached with the working state, if it can stand in for a read: running, its lease not lapsed (a
   * renewal elsewhere only extends it) and the token one of its two. Uploads check it in their conditional write.
   */
  #cachedRow(lease: UpdateLeasePrincipal): Update | undefined {
    const cached = this.#working.get(lease.updateId)
    const row = cached?.row
    if (!row || row.appliedPosition !== cached.position || row.status !== 'running' || this.#lapsed(row)) {
      return undefined
    }
    const known = [row.leaseTokenHash, row.previousLeaseTokenHash].some(
      (hash) => hash !== null && sameHash(lease.tokenHash, hash),
    )
    return known ? row : undefined
  }

  /** The cached working state if it is at the row's position, else rebuilt from the durable log. */
  async #workingState(update: Update): Promise<CachedState> {
    const cached = this.#working.get(update.id)
    if (cached?.position === update.appliedPosition) return cached
    const rebuilt = await this.#rebuild(update)
    this.#working.set(update.id, rebuilt)
    return rebuilt
  }

  async #rebuild(update: Update): Promise<CachedState> {
    // The row first, then the log, in one transaction: the state holds at least what the position counts (under
    // READ COMMITTED possibly more, which only makes the next conditional write miss and rebuild again).
    const { row, journal, checkpoints } = await this.deps.store.transaction(async (tx) => {
      const row = await tx.updates.get(update.id)
      return update.journalVersion === 1
        ? { row, journal: await tx.updateLogs.journal(update.id), checkpoints: [] }
        : { row, journal: [], checkpoints: await tx.updateLogs.checkpoints(update.id) }
    })
    const position = row?.appliedPosition ?? update.appliedPosition
    if (update.journalVersion === 1) {
      const entries = journal.map((logged) => JSON.parse(logged.entry) as JournalEntry)
      return { position, state: new JournalState(await this.#baseDeployment(update), entries) }
    }
    const state = new CheckpointState()
    for (const logged of checkpoints) {
      if (logged.kind === 'text' && logged.sequenceNumber === 0) state.replace(logged.payload)
      else if (logged.kind === 'text') state.verbatim(logged.payload, logged.sequenceNumber)
      else {
        const delta = JSON.parse(logged.payload.toString('utf8')) as {
          edits: CheckpointEdit[]
          checkpointHash: string
        }
        await state.delta(delta.edits, delta.checkpointHash, logged.sequenceNumber)
      }
    }
    return { position, state }
  }

  async #loggedEntries(updateId: string): Promise<JournalEntry[]> {
    const rows = await this.deps.store.updateLogs.journal(updateId)
    return rows.map((row) => JSON.parse(row.entry) as JournalEntry)
  }

  async #baseDeployment(update: Update): Promise<UntypedDeployment | undefined> {
    const text = await this.deps.state.textAt(update.stackId, update.baseVersion)
    return parseUntypedDeployment(text)
  }

  async #load(updateId: string): Promise<Update> {
    const update = await this.deps.store.updates.get(updateId)
    if (!update) throw new NotFoundError(`Not Found: update '${updateId}' not found`)
    return update
  }

  async #updateOf(stack: Stack, updateId: string): Promise<Update> {
    const update = await this.deps.store.updates.get(updateId)
    if (!update || update.stackId !== stack.id) {
      throw new NotFoundError(
        `Not Found: update '${updateId}' not found for stack '${stack.org}/${stack.project}/${stack.name}'`,
      )
    }
    return update
  }

  #lapsed(update: Update): boolean {
    return update.status === 'running' && (update.leaseExpiresAt ?? 0) < this.deps.clock.now()
  }

  /** The update of a lease, read from the row: it must still be running with a live lease held by the token. */
  async #running(lease: UpdateLeasePrincipal, purpose: 'renew' | 'upload' = 'upload'): Promise<Update> {
    return this.#assertRunning(await this.#load(lease.updateId), lease, purpose)
  }

  async #assertRunning(
    update: Update,
    lease: UpdateLeasePrincipal,
    purpose: 'renew' | 'upload' = 'upload',
  ): Promise<Update> {
    const lapsed = this.#lapsed(update)
    if (lapsed) await this.#finishLapsed(update)
    if (update.status !== 'running' || lapsed) throw notRunning(update, lapsed, purpose)
    holdsLease(update, lease)
    return update
  }

  /** Inside the write transaction: the row is still running and the token still current or previous. */
  async #writable(tx: Store, lease: UpdateLeasePrincipal, purpose: 'renew' | 'upload' = 'upload') {
    const update = await tx.updates.get(lease.updateId)
    if (!update) throw new NotFoundError(`Not Found: update '${lease.updateId}' not found`)
    if (update.status !== 'running') throw notRunning(update, false, purpose)
    holdsLease(update, lease)
    return update
  }

  async #finishLapsed(update: Update): Promise<InvalidError | 'raced' | undefined> {
    this.deps.logger.warn(
      { updateId: update.id },
      'update lease expired: ending the update as failed, keeping its state',
    )
    // The server's own act, outside the request's audit scope: the request's audit line then commits with the
    // request's own change or failure (audit-scope.ts), not with this expiry (a refused `stack rm` or `complete`
    // would read as a success).
    const outcome = await auditScope.exit(() => this.#finish(update, 'failed', ''))
    if (outcome !== 'raced') this.deps.observer?.leaseExpired()
    return outcome
  }
}

/** The CLI version recorded in a journaled deployment when the CLI did not say (it does on complete). */
const JOURNAL_CLI_VERSION = 'v3.0.0'

function notRunning(update: Update, lapsed: boolean, purpose: 'renew' | 'upload') {
  const why = lapsed
    ? 'its lease expired'
    : `it is ${update.status === 'cancelled' ? 'cancelled' : 'finished'}`
  const message = `the update is no longer running (${why})`
  // A 403 on renew_lease tells the CLI its lease is gone for good (state.go :: RenewLeaseFunc).
  if (purpose === 'renew') return new ForbiddenError(`Forbidden: ${message}`)
  return new ConflictError(`Conflict: ${message}`)
}

/** The token must be the lease's current or previous one; another replica may have rotated it since. */
function holdsLease(update: Update, lease: UpdateLeasePrincipal): void {
  const current = update.leaseTokenHash !== null && sameHash(lease.tokenHash, update.leaseTokenHash)
  const previous =
    update.previousLeaseTokenHash !== null && sameHash(lease.tokenHash, update.previousLeaseTokenHash)
  if (!current && !previous) throw new UnauthenticatedError('Unauthorized: the update token is not valid')
}

export function cliVersionFromUserAgent(userAgent: string | undefined): string {
  // api.go :: UserAgent: "pulumi-cli/1 (v3.200.0; linux; cmd=up)".
  return /pulumi-cli\/\d+ \((v?[0-9][^;)]*)/.exec(userAgent ?? '')?.[1] ?? ''
}
