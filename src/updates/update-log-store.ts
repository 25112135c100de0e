import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

/** One stored checkpoint upload: a whole text (full or verbatim) or the JSON edits of a delta. */
export interface CheckpointLogRow {
  position: number
  sequenceNumber: number
  kind: 'text' | 'delta'
  payload: Buffer
}

/** The append-only logs of an update: journal entries, checkpoint uploads and engine events. */
export interface UpdateLogStore {
  /** Idempotent: entries whose sequenceID is already stored are ignored (retries). */
  appendJournal(updateId: string, entries: readonly { sequenceId: number; entry: string }[]): Promise<void>
  journal(updateId: string): Promise<{ sequenceId: number; entry: string }[]>
  appendCheckpoint(updateId: string, row: CheckpointLogRow): Promise<void>
  checkpoints(updateId: string): Promise<CheckpointLogRow[]>
  /** Idempotent on (update, sequence): a re-sent event batch stores nothing twice. */
  appendEvents(rows: readonly { updateId: string; sequence: number; event: string }[]): Promise<void>
  events(
    updateId: string,
    afterSequence: number,
    limit: number,
  ): Promise<{ sequence: number; event: string }[]>
  /** Drops the journal and checkpoint logs once the update's final state is stored. */
  clearWorkingLogs(updateId: string): Promise<void>
}

// SQLite caps bound parameters per statement; batches are split to stay well below it.
const ROWS_PER_INSERT = 200

export class SqlUpdateLogStore implements UpdateLogStore {
  constructor(private readonly db: Kysely<Database>) {}

  async appendJournal(
    updateId: string,
    entries: readonly { sequenceId: number; entry: string }[],
  ): Promise<void> {
    for (let i = 0; i < entries.length; i += ROWS_PER_INSERT) {
      const rows = entries.slice(i, i + ROWS_PER_INSERT).map((e) => ({
        update_id: updateId,
        sequence_id: e.sequenceId,
        entry: e.entry,
      }))
      await this.db
        .insertInto('journal_entries')
        .values(rows)
        .onConflict((oc) => oc.columns(['update_id', 'sequence_id']).doNothing())
        .execute()
    }
  }

  async journal(updateId: string): Promise<{ sequenceId: number; entry: string }[]> {
    const rows = await this.db
      .selectFrom('journal_entries')
      .select(['sequence_id', 'entry'])
      .where('update_id', '=', updateId)
      .orderBy('sequence_id')
      .execute()
    return rows.map((row) => ({ sequenceId: Number(row.sequence_id), entry: row.entry }))
  }

  async appendCheckpoint(updateId: string, row: CheckpointLogRow): Promise<void> {
    await this.db
      .insertInto('checkpoint_log')
      .values({
        update_id: updateId,
        position: row.position,
        sequence_number: row.sequenceNumber,
        kind: row.kind,
        payload: row.payload,
      })
      .execute()
  }

  async checkpoints(updateId: string): Promise<CheckpointLogRow[]> {
    const rows = await this.db
      .selectFrom('checkpoint_log')
      .selectAll()
      .where('update_id', '=', updateId)
      .orderBy('position')
      .execute()
    return rows.map((row) => ({
      position: Number(row.position),
      sequenceNumber: Number(row.sequence_number),
      kind: row.kind,
      payload: row.payload,
    }))
  }

  async appendEvents(rows: readonly { updateId: string; sequence: number; event: string }[]): Promise<void> {
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const values = rows
        .slice(i, i + ROWS_PER_INSERT)
        .map((r) => ({ update_id: r.updateId, sequence: r.sequence, event: r.event }))
      await this.db
        .insertInto('engine_events')
        .values(values)
        .onConflict((oc) => oc.columns(['update_id', 'sequence']).doNothing())
        .execute()
    }
  }

  async events(updateId: string, afterSequence: number, limit: number) {
    const rows = await this.db
      .selectFrom('engine_events')
      .select(['sequence', 'event'])
      .where('update_id', '=', updateId)
      .where('sequence', '>', afterSequence)
      .orderBy('sequence')
      .limit(limit)
      .execute()
    return rows.map((row) => ({ sequence: Number(row.sequence), event: row.event }))
  }

  async clearWorkingLogs(updateId: string): Promise<void> {
    await this.db.deleteFrom('journal_entries').where('update_id', '=', updateId).execute()
    await this.db.deleteFrom('checkpoint_log').where('update_id', '=', updateId).execute()
  }
}
