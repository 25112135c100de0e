import type { UntypedDeployment } from '../apitype/core.js'
import type { JournalEntry } from '../apitype/journal.js'
import { ConflictError, InvalidError } from '../errors.js'
import { sha256HexAsync } from '../lib/sha256.js'
import { resourceCount } from '../state/deployment.js'
import { applyCheckpointDelta, type CheckpointEdit } from './checkpoint-delta.js'
import { countCheckpointResources, deploymentFromCheckpointText } from './checkpoint-text.js'
import { JournalReplayer } from './journal-replay.js'

/**
 * The state of a running update as its uploads arrive, kept in memory so the final state costs nothing to produce
 * (design §4: materialize incrementally). Everything here can be rebuilt from the stored logs after a restart.
 */
export type WorkingState = JournalState | CheckpointState

/** A deployment text with its resource count, ready to become a state version. */
export interface StateText {
  text: Buffer
  resourceCount: number
}

/**
 * Journaling (protocol §7): entries applied to a replayer as each batch arrives. Only their sequence ids are kept
 * here (the replayer holds what the state needs); the entries themselves are in the durable journal log.
 */
export class JournalState {
  readonly mode = 'journal'
  readonly #replayer: JournalReplayer
  readonly #seen = new Set<number>()
  #maxSequence = 0

  /** Replays `entries` (any order) in sequenceID order over `base`. */
  constructor(base: UntypedDeployment | undefined, entries: readonly JournalEntry[] = []) {
    this.#replayer = new JournalReplayer(base)
    this.apply([...entries].sort((a, b) => a.sequenceID - b.sequenceID))
  }

  /** Entries not seen before, in sequence order. Retried batches yield nothing new (dedupe by sequenceID). */
  fresh(entries: readonly JournalEntry[]): JournalEntry[] {
    const batch = new Set<number>()
    return entries
      .filter((e) => !this.#seen.has(e.sequenceID) && !batch.has(e.sequenceID) && batch.add(e.sequenceID))
      .sort((a, b) => a.sequenceID - b.sequenceID)
  }

  /**
   * Whether sorted new entries all come after every applied one, so they can be applied incrementally. The CLI
   * numbers entries before queueing them, so parallel steps may arrive slightly out of order; replay is defined
   * in sequenceID order, and such a batch needs a rebuild instead (rare).
   */
  follows(entries: readonly JournalEntry[]): boolean {
    return (entries[0]?.sequenceID ?? Number.POSITIVE_INFINITY) > this.#maxSequence
  }

  /** Applies sorted entries that follow every applied one (see `follows`). */
  apply(entries: readonly JournalEntry[]): void {
    if (!this.follows(entries) && entries.length > 0) throw new Error('journal entries applied out of order')
    for (const entry of entries) {
      this.#replayer.add(entry)
      this.#seen.add(entry.sequenceID)
      this.#maxSequence = entry.sequenceID
    }
  }

  /** The deployment as of the entries applied so far; undefined when nothing was journaled (state unchanged). */
  result(cliVersion: string, now: Date): StateText | undefined {
    if (this.#seen.size === 0) return undefined
    const deployment = this.#replayer.generate({ now, cliVersion })
    return { text: Buffer.from(JSON.stringify(deployment)), resourceCount: resourceCount(deployment) }
  }
}

/** Full, verbatim and delta checkpoints (protocol §6.4): the exact bytes of the last accepted text. */
export class CheckpointState {
  readonly mode = 'checkpoint'
  #text: Buffer | undefined
  /** SHA-256 of #text, once known (a delta's verified hash, or computed for a retry check). */
  #hash: string | undefined
  #sequence = 0
  #uploads = 0

  get uploads(): number {
    return this.#uploads
  }

  /** A full checkpoint (L4): idempotent replacement, no sequence number. */
  replace(text: Buffer): void {
    this.#text = text
    this.#hash = undefined
    this.#uploads++
  }

  /** A verbatim checkpoint (L5). Equal sequence numbers are legal: a retry or the fallback after a failed delta. */
  verbatim(text: Buffer, sequenceNumber: number): void {
    if (sequenceNumber < this.#sequence) {
      throw new ConflictError(
        `Conflict: stale checkpoint: sequence number ${sequenceNumber} is older than the last accepted (${this.#sequence})`,
      )
    }
    this.#refuseGap(sequenceNumber)
    this.#text = text
    this.#hash = undefined
    this.#sequence = sequenceNumber
    this.#uploads++
  }

  /**
   * A delta checkpoint (L6): byte-offset edits against the previous text, verified by the SHA-256 of the result.
   * Returns false for a retry of the last accepted delta (nothing to do). Any refusal is a 4xx, so the CLI falls
   * back to a verbatim upload with the same sequence number (snapshot.go :: cloudSnapshotPersister.Save).
   */
  async delta(
    edits: readonly CheckpointEdit[],
    checkpointHash: string,
    sequenceNumber: number,
  ): Promise<boolean> {
    const text = this.#text
    if (!text) {
      throw new ConflictError(
        'Conflict: no previous checkpoint text to apply a delta to; send a verbatim checkpoint',
      )
    }
    const expected = checkpointHash.toLowerCase()
    if (sequenceNumber === this.#sequence) {
      this.#hash ??= await sha256HexAsync(text)
      if (this.#hash === expected) return false
    }
    if (sequenceNumber <= this.#sequence) {
      throw new ConflictError(
        `Conflict: stale checkpoint: sequence number ${sequenceNumber} is not newer than the last accepted (${this.#sequence})`,
      )
    }
    this.#refuseGap(sequenceNumber)
    const next = applyCheckpointDelta(text, edits)
    if ((await sha256HexAsync(next)) !== expected) {
      throw new ConflictError(
        'Conflict: checkpoint hash mismatch after applying the delta; send a verbatim checkpoint',
      )
    }
    this.#text = next
    this.#hash = expected
    this.#sequence = sequenceNumber
    this.#uploads++
    return true
  }

  // The CLI numbers its checkpoints 1, 2, 3… and resends a number only as a retry or fallback (httpstate/diffs.go ::
  // deploymentDiffState), so a jump ahead is a bad request: accepted, it would make every real checkpoint stale.
  #refuseGap(sequenceNumber: number): void {
    if (sequenceNumber > this.#sequence + 1) {
      throw new InvalidError(
        `Bad Request: checkpoint sequence number ${sequenceNumber} skips ahead of the last accepted (${this.#sequence}); checkpoints are numbered consecutively`,
      )
    }
  }

  /** The exported form of the last text; undefined when no checkpoint arrived (state unchanged). */
  result(): StateText | undefined {
    if (!this.#text) return undefined
    const text = deploymentFromCheckpointText(this.#text)
    return { text, resourceCount: countCheckpointResources(text) }
  }
}

export function parseCheckpointEdits(value: unknown): CheckpointEdit[] {
  if (!Array.isArray(value)) throw new InvalidError('Bad Request: deploymentDelta must be a list of edits')
  return value.map((edit, i) => {
    const span = (edit as { Span?: { start?: { offset?: unknown }; end?: { offset?: unknown } } } | null)
      ?.Span
    const text = (edit as { NewText?: unknown } | null)?.NewText
    const start = span?.start?.offset
    const end = span?.end?.offset
    if (typeof start !== 'number' || typeof end !== 'number' || typeof text !== 'string') {
      throw new InvalidError(
        `Bad Request: deploymentDelta[${i}] must have Span.start.offset, Span.end.offset and NewText`,
      )
    }
    return { Span: { start: { offset: start }, end: { offset: end } }, NewText: text }
  })
}
