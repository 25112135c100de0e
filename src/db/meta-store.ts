import type { Kysely } from 'kysely'
import type { Database } from './schema.js'

/** Small server-wide settings (e.g. the master-key canary). */
export interface MetaStore {
  get(key: string): Promise<string | undefined>
  /** Sets the value only if the key is absent; returns the value now stored. */
  setIfAbsent(key: string, value: string): Promise<string>
  /** Replaces the value only if it is still `expected` (undefined: absent); true when this call changed it. */
  compareAndSet(key: string, expected: string | undefined, value: string): Promise<boolean>
  delete(key: string): Promise<void>
}

export class SqlMetaStore implements MetaStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(key: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst()
    return row?.value
  }

  async setIfAbsent(key: string, value: string): Promise<string> {
    await this.db
      .insertInto('meta')
      .values({ key, value })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute()
    return (await this.get(key)) ?? value
  }

  async compareAndSet(key: string, expected: string | undefined, value: string): Promise<boolean> {
    if (expected === undefined) {
      const inserted = await this.db
        .insertInto('meta')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doNothing())
        .executeTakeFirst()
      return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1
    }
    const updated = await this.db
      .updateTable('meta')
      .set({ value })
      .where('key', '=', key)
      .where('value', '=', expected)
      .executeTakeFirst()
    return Number(updated.numUpdatedRows) === 1
  }

  async delete(key: string): Promise<void> {
    await this.db.deleteFrom('meta').where('key', '=', key).execute()
  }
}
