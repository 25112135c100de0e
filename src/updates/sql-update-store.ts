import type { Kysely, Selectable, Updateable } from 'kysely'
import type { Database, UpdateTable } from '../db/schema.js'
import { textValue } from '../db/text-value.js'
import type { Update } from './update.js'
import type { LeaseHolder, UpdateExpectation, UpdatePatch, UpdateStore } from './update-store.js'

export class SqlUpdateStore implements UpdateStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(update: Update): Promise<void> {
    await this.db
      .insertInto('updates')
      .values(toRow(update) as UpdateTable)
      .execute()
  }

  async get(id: string): Promise<Update | undefined> {
    const row = await this.db.selectFrom('updates').selectAll().where('id', '=', id).executeTakeFirst()
    return row && toUpdate(row)
  }

  async patch(id: string, patch: UpdatePatch): Promise<void> {
    const row = toRow(patch)
    if (Object.keys(row).length === 0) return
    await this.db.updateTable('updates').set(row).where('id', '=', id).execute()
  }

  async patchIf(id: string, expected: UpdateExpectation, patch: UpdatePatch): Promise<boolean> {
    let query = this.db.updateTable('updates').set(toRow(patch)).where('id', '=', id)
    if (expected.status) query = query.where('status', 'in', expected.status)
    if (expected.leaseGeneration !== undefined)
      query = query.where('lease_generation', '=', expected.leaseGeneration)
    if (expected.appliedPosition !== undefined)
      query = query.where('applied_position', '=', expected.appliedPosition)
    const holder = expected.leaseHeldBy
    if (holder !== undefined) {
      query = query.where((eb) =>
        eb.or([eb('lease_token_hash', '=', holder), eb('previous_lease_token_hash', '=', holder)]),
      )
    }
    const result = await query.executeTakeFirst()
    return result.numUpdatedRows > 0n
  }

  async history(stackId: string, page: number, pageSize: number): Promise<Update[]> {
    const rows = await this.db
      .selectFrom('updates')
      .selectAll()
      .where('stack_id', '=', stackId)
      .where('dry_run', '=', 0)
      // Never-started updates (incl. one cancelled before start) took no version: keep them out of history.
      .where('started_at', 'is not', null)
      .orderBy('version', 'desc')
      .orderBy('created_at', 'desc')
      .limit(pageSize)
      .offset((page - 1) * pageSize)
      .execute()
    return rows.map(toUpdate)
  }

  async byVersion(stackId: string, version: number): Promise<Update | undefined> {
    const row = await this.db
      .selectFrom('updates')
      .selectAll()
      .where('stack_id', '=', stackId)
      .where('dry_run', '=', 0)
      .where('version', '=', version)
      // Never-started updates (incl. one cancelled before start) took no version: keep them out of history.
      .where('started_at', 'is not', null)
      .orderBy('created_at', 'desc')
      .executeTakeFirst()
    return row && toUpdate(row)
  }

  async leaseHolder(tokenHash: string): Promise<LeaseHolder | undefined> {
    const row = await this.db
      .selectFrom('updates')
      .innerJoin('stacks', 'stacks.id', 'updates.stack_id')
      .select([
        'updates.id as updateId',
        'updates.stack_id as stackId',
        'stacks.org as org',
        'stacks.project as project',
        'stacks.name as stack',
      ])
      .where((eb) =>
        eb.or([
          eb('updates.lease_token_hash', '=', tokenHash),
          eb('updates.previous_lease_token_hash', '=', tokenHash),
        ]),
      )
      .executeTakeFirst()
    return row
  }

  async expired(now: number): Promise<Update[]> {
    const rows = await this.db
      .selectFrom('updates')
      .selectAll()
      .where('status', '=', 'running')
      .where('lease_expires_at', '<', now)
      .execute()
    return rows.map(toUpdate)
  }
}

function toUpdate(row: Selectable<UpdateTable>): Update {
  return {
    id: row.id,
    stackId: row.stack_id,
    kind: row.kind as Update['kind'],
    dryRun: row.dry_run !== 0,
    status: row.status as Update['status'],
    version: Number(row.version),
    baseVersion: Number(row.base_version),
    program: JSON.parse(row.program) as Record<string, unknown>,
    config: JSON.parse(row.config) as Record<string, unknown>,
    message: row.message,
    environment: JSON.parse(row.environment) as Record<string, string>,
    requestedBy: row.requested_by,
    createdAt: Number(row.created_at),
    startedAt: row.started_at === null ? null : Number(row.started_at),
    endedAt: row.ended_at === null ? null : Number(row.ended_at),
    leaseTokenHash: row.lease_token_hash,
    previousLeaseTokenHash: row.previous_lease_token_hash,
    leaseExpiresAt: row.lease_expires_at === null ? null : Number(row.lease_expires_at),
    leaseGeneration: Number(row.lease_generation),
    appliedPosition: Number(row.applied_position),
    journalVersion: Number(row.journal_version),
    checkpointSeq: Number(row.checkpoint_seq),
    resourceChanges:
      row.resource_changes === null ? null : (JSON.parse(row.resource_changes) as Record<string, number>),
    resourceCount: row.resource_count === null ? null : Number(row.resource_count),
  }
}

function toRow(
  update: UpdatePatch & Partial<Pick<Update, 'id' | 'stackId' | 'createdAt'>>,
): Updateable<UpdateTable> {
  const row: Updateable<UpdateTable> = {}
  if (update.id !== undefined) row.id = update.id
  if (update.stackId !== undefined) row.stack_id = update.stackId
  if (update.createdAt !== undefined) row.created_at = update.createdAt
  if (update.kind !== undefined) row.kind = update.kind
  if (update.dryRun !== undefined) row.dry_run = update.dryRun ? 1 : 0
  if (update.status !== undefined) row.status = update.status
  if (update.version !== undefined) row.version = update.version
  if (update.baseVersion !== undefined) row.base_version = update.baseVersion
  if (update.program !== undefined) row.program = JSON.stringify(update.program)
  if (update.config !== undefined) row.config = JSON.stringify(update.config)
  if (update.message !== undefined) row.message = textValue(update.message)
  if (update.environment !== undefined) row.environment = JSON.stringify(update.environment)
  if (update.requestedBy !== undefined) row.requested_by = update.requestedBy
  if (update.startedAt !== undefined) row.started_at = update.startedAt
  if (update.endedAt !== undefined) row.ended_at = update.endedAt
  if (update.leaseTokenHash !== undefined) row.lease_token_hash = update.leaseTokenHash
  if (update.previousLeaseTokenHash !== undefined)
    row.previous_lease_token_hash = update.previousLeaseTokenHash
  if (update.leaseExpiresAt !== undefined) row.lease_expires_at = update.leaseExpiresAt
  if (update.leaseGeneration !== undefined) row.lease_generation = update.leaseGeneration
  if (update.appliedPosition !== undefined) row.applied_position = update.appliedPosition
  if (update.journalVersion !== undefined) row.journal_version = update.journalVersion
  if (update.checkpointSeq !== undefined) row.checkpoint_seq = update.checkpointSeq
  if (update.resourceChanges !== undefined) {
    row.resource_changes = update.resourceChanges === null ? null : JSON.stringify(update.resourceChanges)
  }
  if (update.resourceCount !== undefined) row.resource_count = update.resourceCount
  return row
}
