import { type Kysely, type Selectable, sql } from 'kysely'
import type { Database, StackTable } from '../db/schema.js'
import { AlreadyExistsError } from '../errors.js'
import type { Stack, StackRef } from './stack.js'
import type { StackListFilter, StackStore } from './stack-store.js'

// Tag filters run on fetched rows (tags are a small JSON map; this keeps the SQL portable), so a filtered listing
// reads the table in bounded pages until it has enough matches.
const LIST_SCAN_PAGE = 500

export class SqlStackStore implements StackStore {
  /**
   * `lockRows`: inside a PostgreSQL transaction, a stack read locks its row (SELECT … FOR UPDATE) until commit, so
   * read-then-write work on one stack (import, rename, delete, version bumps) is serialized across connections
   * and replicas. SQLite needs no lock: its single writer already serializes transactions.
   */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly lockRows = false,
  ) {}

  async findByRef(ref: StackRef): Promise<Stack | undefined> {
    let query = this.db
      .selectFrom('stacks')
      .selectAll()
      .where('org', '=', ref.org)
      .where('project', '=', ref.project)
      .where('name', '=', ref.stack)
    if (this.lockRows) query = query.forUpdate()
    const row = await query.executeTakeFirst()
    return row && toStack(row)
  }

  async findById(id: string): Promise<Stack | undefined> {
    let query = this.db.selectFrom('stacks').selectAll().where('id', '=', id)
    if (this.lockRows) query = query.forUpdate()
    const row = await query.executeTakeFirst()
    return row && toStack(row)
  }

  async insert(stack: Stack): Promise<void> {
    try {
      await this.db
        .insertInto('stacks')
        .values({
          id: stack.id,
          org: stack.org,
          project: stack.project,
          name: stack.name,
          tags: JSON.stringify(stack.tags),
          version: stack.version,
          resource_count: stack.resourceCount,
          locked_by_update: stack.lockedByUpdate,
          last_update_id: stack.lastUpdateId,
          last_update_at: stack.lastUpdateAt,
          created_at: stack.createdAt,
        })
        .execute()
    } catch (error) {
      throw translateUnique(
        error,
        `Conflict: Stack '${stack.org}/${stack.project}/${stack.name}' already exists`,
      )
    }
  }

  async list(filter: StackListFilter): Promise<Stack[]> {
    const tagged = filter.tagName !== undefined
    const pageSize = tagged ? Math.max(filter.limit, LIST_SCAN_PAGE) : filter.limit
    const stacks: Stack[] = []
    let after = filter.after
    for (;;) {
      let query = this.db.selectFrom('stacks').selectAll()
      if (filter.org !== undefined) query = query.where('org', '=', filter.org)
      if (filter.project !== undefined) query = query.where('project', '=', filter.project)
      if (after) {
        const { org, project, stack } = after
        query = query.where(
          sql<boolean>`(org > ${org} or (org = ${org} and (project > ${project} or (project = ${project} and name > ${stack}))))`,
        )
      }
      const rows = await query.orderBy('org').orderBy('project').orderBy('name').limit(pageSize).execute()
      for (const row of rows) {
        const stack = toStack(row)
        if (tagged && !hasTag(stack, filter.tagName ?? '', filter.tagValue)) continue
        stacks.push(stack)
        if (stacks.length >= filter.limit) return stacks
      }
      const last = rows.at(-1)
      if (rows.length < pageSize || !last) return stacks
      after = { org: last.org, project: last.project, stack: last.name }
    }
  }

  async setTags(id: string, tags: Record<string, string>): Promise<void> {
    await this.db
      .updateTable('stacks')
      .set({ tags: JSON.stringify(tags) })
      .where('id', '=', id)
      .execute()
  }

  async rename(id: string, project: string, name: string): Promise<void> {
    try {
      await this.db.updateTable('stacks').set({ project, name }).where('id', '=', id).execute()
    } catch (error) {
      throw translateUnique(error, `Conflict: a stack named '${project}/${name}' already exists`)
    }
  }

  async delete(id: string): Promise<void> {
    const updateIds = this.db.selectFrom('updates').select('id').where('stack_id', '=', id)
    await this.db.deleteFrom('journal_entries').where('update_id', 'in', updateIds).execute()
    await this.db.deleteFrom('engine_events').where('update_id', 'in', updateIds).execute()
    await this.db.deleteFrom('checkpoint_log').where('update_id', 'in', updateIds).execute()
    await this.db.deleteFrom('updates').where('stack_id', '=', id).execute()
    await this.db.deleteFrom('state_versions').where('stack_id', '=', id).execute()
    await this.db.deleteFrom('stack_keys').where('stack_id', '=', id).execute()
    await this.db.deleteFrom('stack_teams').where('stack_id', '=', id).execute()
    await this.db.deleteFrom('stacks').where('id', '=', id).execute()
  }

  async recordVersion(
    id: string,
    change: { version: number; resourceCount: number; at: number; lockedBy: string | null },
  ): Promise<boolean> {
    // Conditional on the version it follows and on who holds the stack, so two writers that read the same
    // version cannot both advance it, and nobody writes under a running update's lock.
    const result = await this.db
      .updateTable('stacks')
      .set({ version: change.version, resource_count: change.resourceCount, last_update_at: change.at })
      .where('id', '=', id)
      .where('version', '=', Math.max(change.version - 1, 0))
      .where('locked_by_update', change.lockedBy === null ? 'is' : '=', change.lockedBy)
      .executeTakeFirst()
    return result.numUpdatedRows > 0n
  }

  async lock(id: string, updateId: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('stacks')
      .set({ locked_by_update: updateId, last_update_id: updateId, last_update_at: at })
      .where('id', '=', id)
      .where('locked_by_update', 'is', null)
      .executeTakeFirst()
    return result.numUpdatedRows > 0n
  }

  async unlock(id: string, updateId: string): Promise<void> {
    await this.db
      .updateTable('stacks')
      .set({ locked_by_update: null })
      .where('id', '=', id)
      .where('locked_by_update', '=', updateId)
      .execute()
  }

  async setLastUpdate(id: string, updateId: string, at: number): Promise<void> {
    await this.db
      .updateTable('stacks')
      .set({ last_update_id: updateId, last_update_at: at })
      .where('id', '=', id)
      .execute()
  }
}

function hasTag(stack: Stack, name: string, value: string | undefined): boolean {
  const actual = stack.tags[name]
  return actual !== undefined && (value === undefined || actual === value)
}

function toStack(row: Selectable<StackTable>): Stack {
  return {
    id: row.id,
    org: row.org,
    project: row.project,
    name: row.name,
    tags: JSON.parse(row.tags) as Record<string, string>,
    version: Number(row.version),
    resourceCount: Number(row.resource_count),
    lockedByUpdate: row.locked_by_update,
    lastUpdateId: row.last_update_id,
    lastUpdateAt: row.last_update_at === null ? null : Number(row.last_update_at),
    createdAt: Number(row.created_at),
  }
}

/** Maps a unique-constraint violation of either dialect to a domain error; anything else propagates. */
export function translateUnique(error: unknown, message: string): unknown {
  const code = (error as { code?: string }).code
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505') {
    return new AlreadyExistsError(message)
  }
  return error
}
