import { type Kysely, sql } from 'kysely'

// Resource search without scans: the stacks whose latest state still has to be indexed (a durable queue the
// completion transaction writes and a background job drains), and substring indices for free text and `*`
// wildcards. SQLite: an FTS5 trigram table over search_resources (external content, kept by triggers; LIKE
// '%…%' on it uses the index). PostgreSQL: pg_trgm GIN indices on the same lower(column) expressions the queries
// use; pg_trgm is a contrib extension, so when it cannot be created search keeps working by scanning.
export async function up(db: Kysely<unknown>, blobType: 'blob' | 'bytea'): Promise<void> {
  await db.schema
    .createTable('search_index_queue')
    .addColumn('stack_id', 'text', (c) => c.primaryKey())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('queued_at', 'bigint', (c) => c.notNull())
    .execute()
  if (blobType === 'blob') await sqliteFts(db)
  else await postgresTrigrams(db)
}

/** FTS5 columns: what free text and wildcards search (other fields have few distinct values and b-tree indices). */
export const SQLITE_FTS_COLUMNS = ['urn', 'name', 'type', 'resource_id'] as const
const cols = SQLITE_FTS_COLUMNS.join(', ')
const of = (row: 'new' | 'old') => SQLITE_FTS_COLUMNS.map((c) => `${row}.${c}`).join(', ')

async function sqliteFts(db: Kysely<unknown>): Promise<void> {
  // search_resources has no INTEGER PRIMARY KEY; its rowid is stable as long as nothing VACUUMs (nothing does).
  await sql
    .raw(
      `create virtual table search_fts using fts5(${cols}, content='search_resources', tokenize='trigram')`,
    )
    .execute(db)
  await sql
    .raw(
      `create trigger search_fts_insert after insert on search_resources begin
         insert into search_fts(rowid, ${cols}) values (new.rowid, ${of('new')});
       end`,
    )
    .execute(db)
  await sql
    .raw(
      `create trigger search_fts_delete after delete on search_resources begin
         insert into search_fts(search_fts, rowid, ${cols}) values ('delete', old.rowid, ${of('old')});
       end`,
    )
    .execute(db)
  // Rows already indexed before this migration.
  await sql.raw(`insert into search_fts(search_fts) values ('rebuild')`).execute(db)
}

async function postgresTrigrams(db: Kysely<unknown>): Promise<void> {
  // A failed statement aborts the migration's transaction unless it ran inside a savepoint.
  await sql`savepoint pg_trgm`.execute(db)
  try {
    await sql`create extension if not exists pg_trgm`.execute(db)
  } catch {
    await sql`rollback to savepoint pg_trgm`.execute(db)
    return
  }
  await sql`release savepoint pg_trgm`.execute(db)
  for (const column of ['urn', 'name', 'type', 'resource_id']) {
    await sql
      .raw(
        `create index search_resources_trgm_${column} on search_resources using gin (lower(${column}) gin_trgm_ops)`,
      )
      .execute(db)
  }
}
