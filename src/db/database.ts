import { resolve } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, type LogEvent, type SqliteDatabase, SqliteDialect, sql } from 'kysely'
import { up as initial } from './migrations/0001-initial.js'
import { up as updateLifecycle } from './migrations/0002-update-lifecycle.js'
import { up as esc } from './migrations/0003-esc.js'
import { up as lookupIndices } from './migrations/0003-lookup-indices.js'
import { up as logins } from './migrations/0004-logins.js'
import { up as integrations } from './migrations/0010-integrations.js'
import { up as audit } from './migrations/0020-audit.js'
import { up as stackTeams } from './migrations/0021-stack-teams.js'
import { up as consoleFlashes } from './migrations/0030-console-flashes.js'
import { up as searchIndices } from './migrations/0031-search-indices.js'
import type { Database } from './schema.js'
import { startWalCheckpointer } from './wal-checkpointer.js'

export type Db = Kysely<Database>

/** A migration receives the dialect's binary column type so the same DDL serves SQLite and PostgreSQL. */
type Migration = (db: Kysely<unknown>, blobType: 'blob' | 'bytea') => Promise<void>

const migrations: ReadonlyArray<readonly [string, Migration]> = [
  ['0001-initial', initial],
  ['0002-update-lifecycle', updateLifecycle],
  ['0003-lookup-indices', lookupIndices],
  ['0003-esc', esc],
  ['0004-logins', logins],
  ['0010-integrations', integrations],
  ['0020-audit', audit],
  ['0021-stack-teams', stackTeams],
  ['0030-console-flashes', consoleFlashes],
  ['0031-search-indices', searchIndices],
]

/** Names of the schema migrations this build knows (a restore refuses a backup from a newer schema). */
export const knownMigrations: readonly string[] = migrations.map(([name]) => name)
export type Dialect = 'sqlite' | 'postgres'

export interface OpenedDatabase {
  db: Db
  dialect: Dialect
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
  const inMemory = path === ':memory:' || path === ''
  if (inMemory) return openSqliteConnection(path, options)
  // Opening one file twice in one process shares the connection (SQLite has one writer per file anyway): two
  // connections in one thread would block it in the busy handler while the other holds the write lock. Two app
  // instances on one file (the replica tests) then behave as two processes whose writes take turns; the first
  // opener's query listener sees the statements of both.
  const key = resolve(path)
  let shared = openFiles.get(key)
  if (!shared) {
    const opening = openSqliteConnection(path, options)
    shared = { opening, users: 0 }
    openFiles.set(key, shared)
    opening.catch(() => openFiles.delete(key))
  }
  const entry = shared
  const opened = await entry.opening
  entry.users++
  let closed = false
  return {
    db: opened.db,
    dialect: 'sqlite',
    async close() {
      if (closed) return
      closed = true
      if (--entry.users > 0) return
      openFiles.delete(key)
      await opened.close()
    },
  }
}

const openFiles = new Map<string, { opening: Promise<OpenedDatabase>; users: number }>()

async function openSqliteConnection(
  path: string,
  options: { onQuery?: QueryListener },
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
    dialect: 'sqlite',
    async close() {
      await checkpointer?.close()
      // The last connection to close checkpoints the WAL fully and removes it.
      await db.destroy()
    },
  }
}

/** Told the SQL text and duration of every statement, failed ones included (for the latency metric). */
export type QueryListener = (sqlText: string, durationMs: number) => void

export function queryLog(listener: QueryListener): (event: LogEvent) => void {
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

/**
 * Applies pending migrations in one transaction. On PostgreSQL a transaction-scoped advisory lock makes replicas
 * that start together take turns (the second one finds everything applied); SQLite's single writer does the same.
 */
export async function migrate(db: Db, blobType: 'blob' | 'bytea'): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (blobType === 'bytea') await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(trx)
    await sql`create table if not exists schema_migrations (name text primary key, applied_at bigint not null)`.execute(
      trx,
    )
    const applied = await sql<{ name: string }>`select name from schema_migrations`.execute(trx)
    const done = new Set(applied.rows.map((row) => row.name))
    for (const [name, run] of migrations) {
      if (done.has(name)) continue
      await run(trx as unknown as Kysely<unknown>, blobType)
      await sql`insert into schema_migrations (name, applied_at) values (${name}, ${Date.now()})`.execute(trx)
    }
  })
}

/** Arbitrary constant identifying the migration lock among PostgreSQL advisory locks. */
const MIGRATION_LOCK_KEY = 7_245_001

/** Cheap liveness query for /readyz. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db)
}
