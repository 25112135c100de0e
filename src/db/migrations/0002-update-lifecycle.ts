import { type Kysely, sql } from 'kysely'

// The update row becomes the truth for a running update (design §6), so any replica can serve its next request:
// - lease_generation: lease tokens are derived from (update id, generation), so a retried renew can answer the
//   current token again, and a renew is a conditional update on the generation;
// - applied_position: how many uploads (journal batches, checkpoint rows) the durable log holds, advanced with
//   each append in the same transaction; a node whose cached working state is behind it rebuilds from the log.
// Portable DDL (SQLite and PostgreSQL).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('updates')
    .addColumn('lease_generation', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
  await db.schema
    .alterTable('updates')
    .addColumn('applied_position', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
  // Updates running across the upgrade logged checkpoint positions 0..n-1: continue after them.
  await sql`update updates set applied_position =
    (select count(*) from checkpoint_log where checkpoint_log.update_id = updates.id)
    where status = 'running'`.execute(db)
}
