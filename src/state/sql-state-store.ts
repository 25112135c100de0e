import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { StateStore, StateVersion } from './state-store.js'

export class SqlStateStore implements StateStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(stackId: string, version: number): Promise<StateVersion | undefined> {
    const row = await this.db
      .selectFrom('state_versions')
      .selectAll()
      .where('stack_id', '=', stackId)
      .where('version', '=', version)
      .executeTakeFirst()
    if (!row) return undefined
    return {
      stackId: row.stack_id,
      version: Number(row.version),
      deployment: row.deployment,
      encoding: row.encoding,
      sha256: row.sha256,
      size: Number(row.size),
      resourceCount: Number(row.resource_count),
      createdAt: Number(row.created_at),
    }
  }

  async put(state: StateVersion): Promise<void> {
    const values = {
      stack_id: state.stackId,
      version: state.version,
      deployment: state.deployment,
      encoding: state.encoding,
      sha256: state.sha256,
      size: state.size,
      resource_count: state.resourceCount,
      created_at: state.createdAt,
    }
    await this.db
      .insertInto('state_versions')
      .values(values)
      .onConflict((oc) => oc.columns(['stack_id', 'version']).doUpdateSet(values))
      .execute()
  }

  async prune(stackId: string, keep: number): Promise<number[]> {
    const newest = await this.db
      .selectFrom('state_versions')
      .select('version')
      .where('stack_id', '=', stackId)
      .orderBy('version', 'desc')
      .offset(keep - 1)
      .limit(1)
      .executeTakeFirst()
    if (!newest) return []
    const deleted = await this.db
      .deleteFrom('state_versions')
      .where('stack_id', '=', stackId)
      .where('version', '<', Number(newest.version))
      .returning('version')
      .execute()
    return deleted.map((row) => Number(row.version))
  }

  async storeCompressed(stackId: string, version: number, sha256: string, gz: Buffer): Promise<void> {
    await this.db
      .updateTable('state_versions')
      .set({ deployment: gz, encoding: 'gzip' })
      .where('stack_id', '=', stackId)
      .where('version', '=', version)
      .where('encoding', '=', 'identity')
      .where('sha256', '=', sha256)
      .execute()
  }

  async uncompressed(limit: number): Promise<{ stackId: string; version: number }[]> {
    const rows = await this.db
      .selectFrom('state_versions')
      .select(['stack_id', 'version'])
      .where('encoding', '=', 'identity')
      .limit(limit)
      .execute()
    return rows.map((row) => ({ stackId: row.stack_id, version: Number(row.version) }))
  }
}
