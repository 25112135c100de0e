import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { type Kysely, sql } from 'kysely'
import { type Db, knownMigrations, openSqliteDatabase } from '../db/database.js'
import { describeDatabase, isPostgresUrl } from '../db/open-database.js'
import { openPostgresDatabase } from '../db/postgres-database.js'
import { describeError } from '../lib/describe-error.js'
import { gunzip } from '../lib/gzip.js'
import { sha256HexAsync } from '../lib/sha256.js'
import {
  type BackupHeader,
  type BackupTrailer,
  CorruptBackupError,
  type Row,
  readBackup,
} from './backup-format.js'
import { BACKUP_TABLES, type BackupTable, isBackupTable } from './backup-tables.js'

export interface RestoreOptions {
  /** A local backup file (remote ones are downloaded first). */
  file: string
  /** The database to restore into: a SQLite path (created if missing) or a postgres:// URL. */
  to: string
  /** Replace the content of a non-empty target (everything in it is lost). */
  force: boolean
  /**
   * Checks the key canary stored in the backup's `meta` rows against the key the restored server will use;
   * returns a problem to refuse the restore, or undefined. Absent: the canary is only checked to be present.
   */
  checkKey?: (meta: ReadonlyMap<string, string>) => Promise<string | undefined>
  progress: (line: string) => void
}

/** A restore refused before anything was written; printed as is. */
export class RestoreError extends Error {
  override name = 'RestoreError'
}

type AnyDb = Kysely<Record<string, Row>>

/**
 * Restores a backup: first proves the whole file (framing, content hash, row counts, the hash of every state
 * version, the key canary) without touching the target, then writes every row in one transaction, so a target
 * ends up with the whole backup or unchanged, on SQLite and PostgreSQL alike.
 */
export async function restoreBackup(options: RestoreOptions): Promise<BackupTrailer> {
  const { progress } = options
  progress(`verifying ${options.file}…`)
  const { trailer } = await verifyBackup(options)
  progress(
    `verified: ${Object.entries(trailer.rows)
      .map(([table, rows]) => `${table} ${rows}`)
      .join(', ')}; sha256 ${trailer.sha256}`,
  )

  const target = await openRestoreTarget(options.to)
  const where = describeDatabase(options.to)
  try {
    const db = target.db as unknown as AnyDb
    if (!target.isNew) await refuseNonEmpty(db, where, options.force)
    progress(`writing into ${where}…`)
    await db.transaction().execute(async (trx) => {
      if (!target.isNew && options.force) {
        for (const table of [...BACKUP_TABLES].reverse()) await trx.deleteFrom(table).execute()
      }
      await copyRows(trx, options.file, progress)
    })
  } catch (error) {
    await target.discard()
    if (error instanceof RestoreError) throw error
    // The transaction rolled back: say so, with the reason (a constraint, a full disk, a lost link, or a file
    // changed since it was verified).
    throw new RestoreError(
      `writing into ${where} failed (${describeError(error)}); the transaction was rolled back and ${where} is unchanged`,
    )
  }
  await target.commit()
  progress(`restored into ${where}`)
  return trailer
}

async function verifyBackup(
  options: RestoreOptions,
): Promise<{ header: BackupHeader; trailer: BackupTrailer }> {
  const meta = new Map<string, string>()
  let stackKeys = 0
  const result = await readBackup(options.file, async (table, row) => {
    if (!isBackupTable(table)) throw new CorruptBackupError(`unknown table ${table}`)
    if (table === 'meta') meta.set(String(row.key), String(row.value))
    if (table === 'stack_keys') stackKeys++
    if (table === 'state_versions') await verifyStateVersion(row)
  }).catch((error: unknown) => {
    if (error instanceof CorruptBackupError) {
      throw new RestoreError(`refusing to restore ${options.file}: ${error.message}; nothing was written`)
    }
    throw error
  })
  const unknown = result.header.migrations.filter((name) => !knownMigrations.includes(name))
  if (unknown.length > 0) {
    throw new RestoreError(
      `the backup comes from a newer server (schema migrations ${unknown.join(', ')}); restore it with that version or later`,
    )
  }
  if (options.checkKey) {
    const problem = await options.checkKey(meta)
    if (problem) throw new RestoreError(`refusing to restore: ${problem}; nothing was written`)
  } else if (stackKeys > 0 && !hasCanary(meta)) {
    throw new RestoreError(
      'refusing to restore: the backup holds stack keys but no key canary; nothing was written',
    )
  }
  return result
}

function hasCanary(meta: ReadonlyMap<string, string>): boolean {
  return [...meta.keys()].some((key) => key.endsWith('canary'))
}

async function verifyStateVersion(row: Row): Promise<void> {
  const where = `state version ${String(row.version)} of stack ${String(row.stack_id)}`
  if (!Buffer.isBuffer(row.deployment)) throw new CorruptBackupError(`${where} has no deployment bytes`)
  let text: Buffer
  try {
    text = row.encoding === 'gzip' ? await gunzip(row.deployment) : row.deployment
  } catch {
    throw new CorruptBackupError(`${where} is not valid gzip`)
  }
  if ((await sha256HexAsync(text)) !== row.sha256)
    throw new CorruptBackupError(`${where} does not match its hash`)
}

async function refuseNonEmpty(db: AnyDb, where: string, force: boolean): Promise<void> {
  const counts = await Promise.all(
    BACKUP_TABLES.map(async (table) => {
      const row = await db.selectFrom(table).select(sql<number>`count(*)`.as('n')).executeTakeFirst()
      return [table, Number(row?.n ?? 0)] as const
    }),
  )
  const nonEmpty = counts.filter(([, n]) => n > 0)
  if (nonEmpty.length > 0 && !force) {
    throw new RestoreError(
      `the target ${where} is not empty (${nonEmpty.map(([t, n]) => `${t} ${n}`).join(', ')}); ` +
        'restore into a new database, or pass --force to replace its content',
    )
  }
}

const BATCH_ROWS = 200
const BATCH_BYTES = 8 << 20

async function copyRows(db: AnyDb, file: string, progress: (line: string) => void): Promise<void> {
  let table: BackupTable | undefined
  let batch: Row[] = []
  let batchBytes = 0
  let written = 0
  const flush = async () => {
    if (table && batch.length > 0) await db.insertInto(table).values(batch).execute()
    batch = []
    batchBytes = 0
  }
  // The second read checks the hash again: a file changed since verification rolls the transaction back.
  await readBackup(file, async (name, row) => {
    if (!isBackupTable(name)) throw new CorruptBackupError(`unknown table ${name}`)
    if (name !== table) {
      await flush()
      if (table) progress(`  ${table}: ${written} rows`)
      table = name
      written = 0
    }
    batch.push(row)
    batchBytes += Buffer.isBuffer(row.deployment) ? row.deployment.length : 0
    batchBytes += Buffer.isBuffer(row.payload) ? row.payload.length : 0
    written++
    if (batch.length >= BATCH_ROWS || batchBytes >= BATCH_BYTES) await flush()
  })
  await flush()
  if (table) progress(`  ${table}: ${written} rows`)
}

/** The database a restore writes into, opened (and migrated) before the rows go in one transaction. */
interface RestoreTarget {
  db: Db
  /** Nothing was there before (a new SQLite file): no emptiness check, no delete. */
  isNew: boolean
  /** Closes the target after a successful restore (a new SQLite file takes its final name). */
  commit(): Promise<void>
  /** Closes the target after a failure (a new SQLite file is removed). */
  discard(): Promise<void>
}

async function openRestoreTarget(to: string): Promise<RestoreTarget> {
  if (isPostgresUrl(to)) {
    // The schema is created by the migrations if missing; the rows' transaction is all or nothing.
    const database = await openPostgresDatabase(to, { maxConnections: 2 }).catch((error: unknown) => {
      throw new RestoreError(
        `cannot open ${describeDatabase(to)}: ${describeError(error)}; nothing was written`,
      )
    })
    return { db: database.db, isNew: false, commit: () => database.close(), discard: () => database.close() }
  }
  // A new SQLite file is built under a temporary name and renamed, so a failed restore leaves no file behind.
  const isNew = !existsSync(to)
  const path = isNew ? `${to}.restoring-${randomBytes(4).toString('hex')}` : to
  const database = await openSqliteDatabase(path)
  return {
    db: database.db,
    isNew,
    async commit() {
      await database.close()
      if (isNew) await rename(path, to)
    },
    async discard() {
      await database.close()
      if (isNew) await removeDatabaseFiles(path)
    },
  }
}

async function removeDatabaseFiles(path: string): Promise<void> {
  for (const suffix of ['', '-wal', '-shm']) await rm(`${path}${suffix}`, { force: true })
}
