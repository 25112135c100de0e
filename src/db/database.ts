import SQLite from 'better-sqlite3'
import { Kysely, type LogEvent, type SqliteDatabase, SqliteDialect, sql } from 'kysely'
import { up as initial } from './migrations/0001-initial.js'
import { up as logins } from './migrations/0004-logins.js'
import type { Database } from './schema.js'
import { startWalCheckpointer } from './wal-checkpointer.js'

export type Db = Kysely<Database>

/** A migration receives the dialect's binary column type so the same DDL serves SQLite and PostgreSQL. */
type Migration = (db: Kysely<unknown>, blobType: 'blob' | 'bytea') => Promise<void>

const migrations: ReadonlyArray<readonly [string, Migration]> = [
  ['0001-initial', initial],
  ['0004-logins', logins],
]

export interface OpenedDatabase {
  db: Db
  close(): Promise<void>
}

/**
 * Opens (creating if needed) the SQLite database and applies pending migrations.
 * WAL + synchronous=NORMAL: durable across process crashes (a killed server loses nothing acknowledged),
 * only an OS crash can lose the last transactions.
 */
export async function openSqliteDatabase(
  path: string,
  options: { onQuery?: QueryListener } = {},
): Promise<OpenedDatabase> {
  const native = new SQLite(path)
  native.pragma('journal_mode = WAL')
  native.pragma('synchronous = NORMAL')
  native.pragma('busy_timeout = 5000')
  native.pragma('foreign_keys = ON')
  // A 16 MB page cache instead of 2 MB: state blobs are MBs. (Memory-mapped I/O was tried and dropped: mapped
  // pages count in the process's RSS, which grew by the database's size.)
  native.pragma('cache_size = -16384')
  const inMemory = path === ':memory:' || path === ''
  // Checkpoints move to a worker thread (see wal-checkpointer.ts); in-memory databases have no WAL.
  const checkpointer = inMemory
    ? undefined
    : startWalCheckpointer(path, () => native.pragma('wal_autocheckpoint = 1000'))
  if (checkpointer) native.pragma('wal_autocheckpoint = 0')
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(native) }),
    ...(options.onQuery && { log: queryLog(options.onQuery) }),
  })
  await migrate(db, 'blob')
  return {
    db,
    async close() {
      await checkpointer?.close()
      // The last connection to close checkpoints the WAL fully and removes it.
      await db.destroy()
    },
  }
}

/** Told the SQL text and duration of every statement, failed ones included (for the latency metric). */
export type QueryListener = (sqlText: string, durationMs: number) => void

function queryLog(listener: QueryListener): (event: LogEvent) => void {
  return (event) => listener(event.query.sql, event.queryDurationMillis)
}

/**
 * Kysely prepares every query anew; preparing is a large share of a small query's cost. The server issues a
 * small, fixed set of SQL texts, so prepared statements are kept and reused (better-sqlite3 statements are
 * reusable, and execution is synchronous, so one is never used twice at once).
 */
function withStatementCache(native: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>()
  return {
    prepare(sqlText: string) {
      let statement = statements.get(sqlText)
      if (!statement) {
        statement = native.prepare(sqlText)
        // Unbounded texts (e.g. multi-row inserts of varying size) must not grow the cache forever.
        if (statements.size < 2000) statements.set(sqlText, statement)
      }
      return statement
    },
    close() {
      native.close()
    },
  }
}

async function migrate(db: Db, blobType: 'blob' | 'bytea'): Promise<void> {
  await sql`create table if not exists schema_migrations (name text primary key, applied_at bigint not null)`.execute(
    db,
  )
  const applied = await sql<{ name: string }>`select name from schema_migrations`.execute(db)
  const done = new Set(applied.rows.map((row) => row.name))
  for (const [name, run] of migrations) {
    if (done.has(name)) continue
    await db.transaction().execute(async (trx) => {
      await run(trx as unknown as Kysely<unknown>, blobType)
      await sql`insert into schema_migrations (name, applied_at) values (${name}, ${Date.now()})`.execute(trx)
    })
  }
}

/** Cheap liveness query for /readyz. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db)
}
