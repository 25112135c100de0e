import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

export interface StackKeyStore {
  get(stackId: string): Promise<Buffer | undefined>
  /** Stores the wrapped key unless one exists; returns whichever key is stored (first writer wins). */
  insertIfAbsent(stackId: string, wrappedKey: Buffer, at: number): Promise<Buffer>
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
}
