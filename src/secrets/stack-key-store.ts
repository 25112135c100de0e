import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

export interface StackKeyStore {
  get(stackId: string): Promise<Buffer | undefined>
  /** Stores the wrapped key unless one exists; returns whichever key is stored (first writer wins). */
  insertIfAbsent(stackId: string, wrappedKey: Buffer, at: number): Promise<Buffer>
  /** Up to `limit` keys in stack-id order, after `afterStackId` (paging through every key). */
  page(afterStackId: string, limit: number): Promise<{ stackId: string; wrappedKey: Buffer }[]>
  /** Replaces a wrapped key only if it is still `expected`; true when this call replaced it. */
  replace(stackId: string, expected: Buffer, wrappedKey: Buffer): Promise<boolean>
}

export class SqlStackKeyStore implements StackKeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(stackId: string): Promise<Buffer | undefined> {
    const row = await this.db
      .selectFrom('stack_keys')
      .select('wrapped_key')
      .where('stack_id', '=', stackId)
      .executeTakeFirst()
    return row?.wrapped_key
  }

  async insertIfAbsent(stackId: string, wrappedKey: Buffer, at: number): Promise<Buffer> {
    await this.db
      .insertInto('stack_keys')
      .values({ stack_id: stackId, wrapped_key: wrappedKey, created_at: at })
      .onConflict((oc) => oc.column('stack_id').doNothing())
      .execute()
    const stored = await this.get(stackId)
    if (!stored) throw new Error('stack key vanished after insert')
    return stored
  }

  async page(afterStackId: string, limit: number): Promise<{ stackId: string; wrappedKey: Buffer }[]> {
    const rows = await this.db
      .selectFrom('stack_keys')
      .select(['stack_id', 'wrapped_key'])
      .where('stack_id', '>', afterStackId)
      .orderBy('stack_id')
      .limit(limit)
      .execute()
    return rows.map((row) => ({ stackId: row.stack_id, wrappedKey: row.wrapped_key }))
  }

  async replace(stackId: string, expected: Buffer, wrappedKey: Buffer): Promise<boolean> {
    const result = await this.db
      .updateTable('stack_keys')
      .set({ wrapped_key: wrappedKey })
      .where('stack_id', '=', stackId)
      .where('wrapped_key', '=', expected)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) === 1
  }
}
