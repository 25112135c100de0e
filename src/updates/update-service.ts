import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { UntypedDeployment } from '../apitype/core.js'
import type { JournalEntry } from '../apitype/journal.js'
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
import { hashToken, newToken } from '../lib/tokens.js'
import { formatStackRef, type Stack, type StackRef, validateTags } from '../stacks/stack.js'
import type { StackEventSink } from '../stacks/stack-events.js'
import type { StackService } from '../stacks/stack-service.js'
import { parseUntypedDeployment } from '../state/deployment.js'
import type { StateService } from '../state/state-service.js'
import { ActiveUpdates } from './active-updates.js'
import type { CheckpointEdit } from './checkpoint-delta.js'
import {
  deploymentFromCheckpointText,
  untypedDeploymentFromCheckpointRequest,
  verbatimDeploymentRange,
} from './checkpoint-text.js'
import type { ParsedEventBatch } from './engine-event-batch.js'
import type { EventBuffer } from './event-buffer.js'
import { newUpdate, type Update, type UpdateStatus } from './update.js'
import type { UpdateObserver } from './update-observer.js'
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

/**
 * The update lifecycle (protocol §4.5, §6–§9): create → start (lock + lease) → checkpoints or journal entries and
 * events → complete, or cancel / lease expiry. Each update's uploads are applied to an in-memory working state and
 * logged durably in the same request, so the final state is ready at `complete` and survives a crash.
 */
export class UpdateService {
  readonly #working = new Map<string, WorkingState>()
  readonly #summaries = new Map<string, Record<string, number>>()
  readonly #mutex = new KeyedMutex()
  readonly #active = new ActiveUpdates()

  constructor(
    private readonly deps: {
      store: Store
      clock: Clock
      stacks: StackService
      state: StateService
      events: EventBuffer
      config: UpdateConfig
      logger: Logger
      observer?: UpdateObserver
      /** Told of every started update's end, in the transaction that records it (webhooks). */
      stackEvents?: StackEventSink
    },
  ) {}

  async create(user: UserPrincipal, ref: StackRef, input: CreateUpdateInput): Promise<string> {
    const stack = await this.deps.stacks.get(ref)
    const id = randomUUID()
    await this.deps.store.updates.insert(
      newUpdate({
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
      }),
    )
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
    if (update.status !== 'not started') {
      throw new ConflictError(`Conflict: update '${updateId}' has already been started`)
    }
    if (!update.dryRun && stack.lockedByUpdate) await this.#expireIfLapsed(stack.lockedByUpdate)
    const token = newToken('lease')
    const now = this.deps.clock.now()
    const expiresAt = now + this.deps.config.leaseDurationMs
    // client.go :: StartUpdate offers journalVersion 1; journaling only applies to real updates (runEngineAction).
    const journalVersion =
      this.deps.config.journaling && !update.dryRun && (request.journalVersion ?? 0) >= 1 ? 1 : 0
    const started = await this.deps.store.transaction(async (tx) => {
      const current = await tx.stacks.findById(stack.id)
      if (!current) throw new NotFoundError(`Not Found: stack '${formatStackRef(ref)}' not found`)
      if (!update.dryRun && !(await tx.stacks.lock(stack.id, updateId, now))) throw new ConflictError(LOCKED)
      if (request.tags) await tx.stacks.setTags(stack.id, request.tags)
      const patch = {
        status: 'running' as const,
        version: update.dryRun ? current.version : current.version + 1,
        baseVersion: current.version,
        startedAt: now,
        leaseTokenHash: hashToken(token),
        leaseExpiresAt: expiresAt,
        journalVersion,
      }
      await tx.updates.patch(updateId, patch)
      return { ...update, ...patch }
    })
    this.#active.put({ update: started, stack: { org: stack.org, project: stack.project, name: stack.name } })
    this.deps.observer?.updateStarted(started.kind)
    return { version: started.version, token, tokenExpiration: Math.floor(expiresAt / 1000), journalVersion }
  }

  /** `Authorization: update-token …`: the lease must belong to exactly this update of this stack. */
  async authenticateLease(token: string, params: Record<string, string>): Promise<UpdateLeasePrincipal> {
    const hash = hashToken(token)
    const active = this.#active.byLeaseHash(hash)
    const update = active?.update ?? (await this.deps.store.updates.byLeaseHash(hash))
    if (!update) throw new UnauthenticatedError('Unauthorized: the update token is not valid')
    const stack = active ? active.stack : await this.deps.store.stacks.findById(update.stackId)
    const sameStack =
      stack &&
      stack.org === params.orgName &&
      stack.project === params.projectName &&
      stack.name === params.stackName
    if (update.id !== params.updateId || !sameStack) {
      throw new ForbiddenError('Forbidden: the update token does not belong to this update of this stack')
    }
    return { kind: 'update-lease', updateId: update.id, stackId: update.stackId }
  }

  /** renew_lease: a fresh token replaces the current one; the previous stays valid for requests in flight. */
  async renewLease(
    lease: UpdateLeasePrincipal,
    durationSeconds: number,
  ): Promise<{ token: string; tokenExpiration: number }> {
    return this.#mutex.run(lease.updateId, async () => {
      const update = await this.#running(lease, 'renew')
      const token = newToken('lease')
      const duration = Math.max(this.deps.config.leaseDurationMs, Math.min(durationSeconds, 300) * 1000)
      const expiresAt = this.deps.clock.now() + duration
      const patch = {
        previousLeaseTokenHash: update.leaseTokenHash,
        leaseTokenHash: hashToken(token),
        leaseExpiresAt: expiresAt,
      }
      await this.deps.store.updates.patch(update.id, patch)
      const active = this.#active.get(update.id)
      if (active) this.#active.put({ ...active, update: { ...update, ...patch } })
      return { token, tokenExpiration: Math.floor(expiresAt / 1000) }
    })
  }

  /** PATCH …/checkpoint (L4): the whole deployment, an idempotent replacement. */
  async saveCheckpoint(lease: UpdateLeasePrincipal, body: Buffer): Promise<void> {
    const text = untypedDeploymentFromCheckpointRequest(body)
    // Refuse a text that could not be exported now, while the CLI can still report it (not at complete).
    deploymentFromCheckpointText(text)
    await this.#withCheckpoints(lease, async (state, position) => {
      state.replace(text)
      return { position, sequenceNumber: 0, kind: 'text', payload: text }
    })
  }

  /** PATCH …/checkpointverbatim (L5): the CLI's exact canonical text, kept byte for byte. */
  async saveVerbatimCheckpoint(lease: UpdateLeasePrincipal, body: Buffer): Promise<void> {
    const { text, sequenceNumber } = verbatimDeploymentRange(body)
    const copy = Buffer.from(text)
    deploymentFromCheckpointText(copy)
    await this.#withCheckpoints(lease, async (state, position) => {
      state.verbatim(copy, sequenceNumber)
      return { position, sequenceNumber, kind: 'text', payload: copy }
    })
  }

  /** PATCH …/checkpointdelta (L6). */
  async saveDeltaCheckpoint(
    lease: UpdateLeasePrincipal,
    delta: { edits: CheckpointEdit[]; checkpointHash: string; sequenceNumber: number },
  ): Promise<void> {
    await this.#withCheckpoints(lease, async (state, position) => {
      if (!(await state.delta(delta.edits, delta.checkpointHash, delta.sequenceNumber))) return undefined
      const payload = Buffer.from(
        JSON.stringify({ edits: delta.edits, checkpointHash: delta.checkpointHash }),
      )
      return { position, sequenceNumber: delta.sequenceNumber, kind: 'delta', payload }
    })
  }

  /** PATCH …/journalentries (L7): dedupe by sequenceID, apply, and log durably before acknowledging. */
  async saveJournalEntries(lease: UpdateLeasePrincipal, entries: JournalEntry[]): Promise<void> {
    await this.#mutex.run(lease.updateId, async () => {
      const update = await this.#running(lease)
      if (update.journalVersion !== 1) {
        throw new ConflictError(
          'Conflict: this update was not started with journaling; send checkpoints instead',
        )
      }
      const state = await this.#workingState(update)
      if (state.mode !== 'journal') throw new Error('journal update with a checkpoint working state')
      const fresh = state.fresh(entries)
      if (fresh.length === 0) return
      const log = () =>
        this.deps.store.updateLogs.appendJournal(
          update.id,
          fresh.map((entry) => ({ sequenceId: entry.sequenceID, entry: JSON.stringify(entry) })),
        )
      try {
        if (state.follows(fresh)) {
          state.apply(fresh)
          await log()
        } else {
          // Older than an applied entry (rare): replay the log plus these entries in sequenceID order, and log
          // them only once that replay succeeded.
          const logged = await this.#loggedEntries(update.id)
          const rebuilt = new JournalState(await this.#baseDeployment(update), [...logged, ...fresh])
          await log()
          this.#working.set(update.id, rebuilt)
        }
      } catch (error) {
        // The in-memory state may hold a partly applied batch: rebuild it from the log on the next request.
        this.#working.delete(update.id)
        throw error
      }
    })
  }

  /** POST …/events/batch (L8): buffered; duplicates (retries) are ignored by sequence. */
  async recordEvents(lease: UpdateLeasePrincipal, batch: ParsedEventBatch): Promise<void> {
    const update = await this.#running(lease)
    if (batch.resourceChanges) this.#summaries.set(update.id, batch.resourceChanges)
    await this.deps.events.add(
      batch.events.map((event) => ({ updateId: update.id, sequence: event.sequence, event: event.text })),
    )
  }

  /** POST …/complete (L9): stores the final state as the new version and frees the stack. Retries are no-ops. */
  async complete(
    lease: UpdateLeasePrincipal,
    status: 'succeeded' | 'failed',
    cliVersion: string,
  ): Promise<void> {
    await this.#mutex.run(lease.updateId, async () => {
      const update = await this.#load(lease.updateId)
      if (update.status === status) return
      if (update.status === 'cancelled') throw new ConflictError('Conflict: this update was cancelled')
      await this.#running(lease)
      const refused = await this.#finish(update, status, cliVersion)
      if (refused) {
        throw new InvalidError(
          `Bad Request: the update's state is not a valid deployment (${refused.message}); ` +
            'the update failed and the stack keeps its previous state',
        )
      }
    })
  }

  /** `pulumi cancel`: ends the running update with what it saved so far and frees the stack. */
  async cancel(ref: StackRef, updateId: string): Promise<void> {
    const stack = await this.deps.stacks.get(ref)
    const found = await this.#updateOf(stack, updateId)
    await this.#mutex.run(found.id, async () => {
      const update = await this.#load(found.id)
      if (update.status !== 'running' && update.status !== 'not started') {
        throw new ConflictError('Conflict: The update has already completed.')
      }
      await this.#finish(update, 'cancelled', '')
    })
  }

  /** Ends every running update whose lease ran out (the CLI died or lost the network). */
  async expireLapsedLeases(): Promise<number> {
    const lapsed = await this.deps.store.updates.expired(this.deps.clock.now())
    for (const update of lapsed) await this.#expireIfLapsed(update.id)
    return lapsed.length
  }

  async get(ref: StackRef, updateId: string): Promise<Update> {
    return this.#updateOf(await this.deps.stacks.get(ref), updateId)
  }

  async #expireIfLapsed(updateId: string): Promise<void> {
    await this.#mutex.run(updateId, async () => {
      const update = await this.deps.store.updates.get(updateId)
      if (update?.status !== 'running' || (update.leaseExpiresAt ?? 0) >= this.deps.clock.now()) return
      this.deps.logger.warn(
        { updateId },
        'update lease expired: ending the update as failed, keeping its state',
      )
      this.deps.observer?.leaseExpired()
      await this.#finish(update, 'failed', '')
    })
  }

  async #withCheckpoints(
    lease: UpdateLeasePrincipal,
    apply: (
      state: CheckpointState,
      position: number,
    ) => Promise<
      { position: number; sequenceNumber: number; kind: 'text' | 'delta'; payload: Buffer } | undefined
    >,
  ): Promise<void> {
    await this.#mutex.run(lease.updateId, async () => {
      const update = await this.#running(lease)
      if (update.journalVersion === 1) {
        throw new ConflictError('Conflict: this update journals; checkpoints are not accepted')
      }
      const state = await this.#workingState(update)
      if (state.mode !== 'checkpoint') throw new Error('checkpoint update with a journal working state')
      const row = await apply(state, state.uploads)
      if (!row) return
      try {
        await this.deps.store.updateLogs.appendCheckpoint(update.id, row)
      } catch (error) {
        this.#working.delete(update.id)
        throw error
      }
    })
  }

  /**
   * Ends an update. Returns the reason when what it uploaded does not make a valid deployment: it then fails and
   * the stack keeps its base state — throwing instead would leave the update running and the stack locked for
   * good, since lease expiry would fail the same way.
   */
  async #finish(
    update: Update,
    requested: UpdateStatus,
    cliVersion: string,
  ): Promise<InvalidError | undefined> {
    await this.deps.events.flush(update.id)
    const stack = await this.deps.store.stacks.findById(update.stackId)
    if (!stack) throw new NotFoundError('Not Found: the stack of this update no longer exists')
    const now = this.deps.clock.now()
    const resourceChanges = this.#summaries.get(update.id) ?? (await this.#summaryFromEvents(update.id))
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
    await this.deps.store.transaction(async (tx) => {
      if (prepared) await this.deps.state.writeVersion(tx, stack, update.version, prepared)
      await tx.updates.patch(update.id, {
        status,
        endedAt: now,
        resourceChanges: resourceChanges ?? null,
        resourceCount: prepared ? prepared.resourceCount : stack.resourceCount,
      })
      // An update cancelled before it started never held the stack and must not become its last update.
      if (!update.dryRun && update.status === 'running') {
        await tx.stacks.unlock(stack.id, update.id)
        await tx.stacks.setLastUpdate(stack.id, update.id, now)
      }
      await tx.updateLogs.clearWorkingLogs(update.id)
      if (update.status === 'running') {
        const ended = { ...update, status, endedAt: now, resourceChanges: resourceChanges ?? null }
        await this.deps.stackEvents?.onStackEvent(tx, {
          kind: 'update_finished',
          stack,
          update: ended,
          succeeded: status === 'succeeded',
        })
      }
    })
    this.#working.delete(update.id)
    this.#summaries.delete(update.id)
    this.#active.remove(update.id)
    this.deps.observer?.updateFinished(update.kind, status, now - (update.startedAt ?? update.createdAt))
    return refused
  }

  /** The state a real update leaves: what it uploaded, or its base when it uploaded nothing. */
  async #finalState(update: Update, stack: Stack, cliVersion: string, now: number): Promise<StateText> {
    const state = await this.#workingState(update)
    const uploaded =
      state.mode === 'journal' ? state.result(cliVersion || 'v3.0.0', new Date(now)) : state.result()
    return uploaded ?? this.#baseState(update, stack)
  }

  async #baseState(update: Update, stack: Stack): Promise<StateText> {
    // The stack lock kept the base current: its resource count is the stack's.
    return {
      text: await this.deps.state.textAt(update.stackId, update.baseVersion),
      resourceCount: stack.resourceCount,
    }
  }

  async #workingState(update: Update): Promise<WorkingState> {
    const cached = this.#working.get(update.id)
    if (cached) return cached
    const state =
      update.journalVersion === 1
        ? await this.#rebuildJournal(update)
        : await this.#rebuildCheckpoints(update)
    this.#working.set(update.id, state)
    return state
  }

  async #rebuildJournal(update: Update): Promise<JournalState> {
    return new JournalState(await this.#baseDeployment(update), await this.#loggedEntries(update.id))
  }

  async #loggedEntries(updateId: string): Promise<JournalEntry[]> {
    const rows = await this.deps.store.updateLogs.journal(updateId)
    return rows.map((row) => JSON.parse(row.entry) as JournalEntry)
  }

  async #rebuildCheckpoints(update: Update): Promise<CheckpointState> {
    const state = new CheckpointState()
    for (const row of await this.deps.store.updateLogs.checkpoints(update.id)) {
      if (row.kind === 'text' && row.sequenceNumber === 0) state.replace(row.payload)
      else if (row.kind === 'text') state.verbatim(row.payload, row.sequenceNumber)
      else {
        const delta = JSON.parse(row.payload.toString('utf8')) as {
          edits: CheckpointEdit[]
          checkpointHash: string
        }
        await state.delta(delta.edits, delta.checkpointHash, row.sequenceNumber)
      }
    }
    return state
  }

  async #baseDeployment(update: Update): Promise<UntypedDeployment | undefined> {
    const text = await this.deps.state.textAt(update.stackId, update.baseVersion)
    return parseUntypedDeployment(text)
  }

  async #summaryFromEvents(updateId: string): Promise<Record<string, number> | undefined> {
    let after = -1
    let found: Record<string, number> | undefined
    for (;;) {
      const page = await this.deps.store.updateLogs.events(updateId, after, 1000)
      for (const row of page) {
        const event = JSON.parse(row.event) as { summaryEvent?: { resourceChanges?: Record<string, number> } }
        if (event.summaryEvent?.resourceChanges) found = event.summaryEvent.resourceChanges
      }
      const last = page.at(-1)
      if (!last) return found
      after = last.sequence
    }
  }

  async #load(updateId: string): Promise<Update> {
    const update = this.#active.get(updateId)?.update ?? (await this.deps.store.updates.get(updateId))
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

  /** The update of a lease, which must still be running with a live lease. */
  async #running(lease: UpdateLeasePrincipal, purpose: 'renew' | 'upload' = 'upload'): Promise<Update> {
    const update = await this.#load(lease.updateId)
    const lapsed = update.status === 'running' && (update.leaseExpiresAt ?? 0) < this.deps.clock.now()
    if (lapsed) await this.#finishLapsed(update)
    if (update.status !== 'running' || lapsed) {
      const why = lapsed
        ? 'its lease expired'
        : `it is ${update.status === 'cancelled' ? 'cancelled' : 'finished'}`
      const message = `the update is no longer running (${why})`
      // A 403 on renew_lease tells the CLI its lease is gone for good (state.go :: RenewLeaseFunc).
      if (purpose === 'renew') throw new ForbiddenError(`Forbidden: ${message}`)
      throw new ConflictError(`Conflict: ${message}`)
    }
    return update
  }

  async #finishLapsed(update: Update): Promise<void> {
    this.deps.logger.warn(
      { updateId: update.id },
      'update lease expired: ending the update as failed, keeping its state',
    )
    this.deps.observer?.leaseExpired()
    await this.#finish(update, 'failed', '')
  }
}

export function cliVersionFromUserAgent(userAgent: string | undefined): string {
  // api.go :: UserAgent: "pulumi-cli/1 (v3.200.0; linux; cmd=up)".
  return /pulumi-cli\/\d+ \((v?[0-9][^;)]*)/.exec(userAgent ?? '')?.[1] ?? ''
}
