import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { type Kysely, sql } from 'kysely'
import { type OpenedDatabase, openSqliteDatabase } from './database.js'
import { openDatabase } from './open-database.js'

// `pulumi-backend migrate-db`: copies every row of a SQLite database into another database (normally PostgreSQL)
// whose schema the server itself created, then proves the copy by row counts and content hashes per table.

/** Every table the server keeps, with its primary key (rows are copied and hashed in key order). */
const TABLES: ReadonlyArray<{ name: string; key: readonly string[]; rowsPerBatch: number }> = [
  { name: 'meta', key: ['key'], rowsPerBatch: 500 },
  { name: 'access_tokens', key: ['id'], rowsPerBatch: 500 },
  { name: 'login_sessions', key: ['id'], rowsPerBatch: 500 },
  { name: 'stacks', key: ['id'], rowsPerBatch: 500 },
  { name: 'stack_keys', key: ['stack_id'], rowsPerBatch: 500 },
  { name: 'stack_teams', key: ['stack_id', 'team'], rowsPerBatch: 500 },
  // Deployments are MBs each: few rows per batch keep memory flat.
  { name: 'state_versions', key: ['stack_id', 'version'], rowsPerBatch: 4 },
  { name: 'updates', key: ['id'], rowsPerBatch: 500 },
  { name: 'journal_entries', key: ['update_id', 'sequence_id'], rowsPerBatch: 500 },
  { name: 'checkpoint_log', key: ['update_id', 'position'], rowsPerBatch: 4 },
  { name: 'engine_events', key: ['update_id', 'sequence'], rowsPerBatch: 500 },
  { name: 'esc_org_keys', key: ['org'], rowsPerBatch: 500 },
  { name: 'esc_environments', key: ['id'], rowsPerBatch: 500 },
  { name: 'esc_revisions', key: ['environment_id', 'revision'], rowsPerBatch: 100 },
  { name: 'esc_revision_tags', key: ['environment_id', 'name'], rowsPerBatch: 500 },
  { name: 'esc_environment_tags', key: ['environment_id', 'name'], rowsPerBatch: 500 },
  { name: 'esc_open_sessions', key: ['id'], rowsPerBatch: 100 },
  { name: 'webhooks', key: ['id'], rowsPerBatch: 500 },
  { name: 'webhook_events', key: ['id'], rowsPerBatch: 500 },
  { name: 'webhook_deliveries', key: ['id'], rowsPerBatch: 500 },
  { name: 'search_resources', key: ['stack_id', 'urn'], rowsPerBatch: 500 },
  { name: 'search_index_queue', key: ['stack_id'], rowsPerBatch: 500 },
  { name: 'audit_events', key: ['seq'], rowsPerBatch: 500 },
  { name: 'console_flashes', key: ['id'], rowsPerBatch: 500 },
]

/**
 * The server's own bookkeeping: each database applies its migrations itself. A SQLite target also has the
 * full-text index of resource search (0031-search-indices), which its triggers fill as search_resources is copied.
 */
const NOT_COPIED = new Set([
  'schema_migrations',
  'search_fts',
  'search_fts_data',
  'search_fts_idx',
  'search_fts_docsize',
  'search_fts_config',
])

/** Set in the target while a copy is under way, so an interrupted run can be resumed without --force. */
const IN_PROGRESS_KEY = 'migrate_db_in_progress'

export interface MigrateDbOptions {
  from: string
  to: string
  /** Empties a non-empty target first (anything in it is lost). */
  force: boolean
  progress: (line: string) => void
}

export interface TableReport {
  table: string
  rows: number
  sha256: string
}

/** A refusal the operator can act on; printed without a stack trace. */
export class MigrateDbError extends Error {
  override name = 'MigrateDbError'
}

type Row = Record<string, unknown>
type AnyDb = Kysely<Record<string, Row>>

export async function migrateDb(options: MigrateDbOptions): Promise<TableReport[]> {
  if (!existsSync(options.from))
    throw new MigrateDbError(`the source database ${options.from} does not exist`)
  const source = await openSqliteDatabase(options.from)
  let target: OpenedDatabase | undefined
  try {
    target = await openDatabase(options.to, { maxConnections: 2 })
    const from = source.db as unknown as AnyDb
    const to = target.db as unknown as AnyDb
    const tables = await checkedTables(to)
    await prepareTarget(to, options)
    for (const table of tables) await copyTable(from, to, table, options.progress)
    options.progress('verifying: row counts and content hashes of every table…')
    const reports: TableReport[] = []
    for (const table of tables) {
      const expected = await digestTable(from, table)
      const actual = await digestTable(to, table)
      if (expected.rows !== actual.rows || expected.sha256 !== actual.sha256) {
        throw new MigrateDbError(
          `verification failed for table ${table.name}: source has ${expected.rows} rows (sha256 ${expected.sha256}), ` +
            `target has ${actual.rows} (sha256 ${actual.sha256}); run migrate-db again`,
        )
      }
      reports.push({ table: table.name, ...expected })
      options.progress(
        `  ${table.name}: ${expected.rows} rows, sha256 ${expected.sha256.slice(0, 16)}… identical`,
      )
    }
    await to.deleteFrom('meta').where('key', '=', IN_PROGRESS_KEY).execute()
    return reports
  } finally {
    await target?.close()
    await source.close()
  }
}

interface TablePlan {
  name: string
  key: readonly string[]
  columns: string[]
  rowsPerBatch: number
}

/** The target's tables with their columns; a table this tool does not know stops it (it would be left behind). */
async function checkedTables(db: AnyDb): Promise<TablePlan[]> {
  const present = (await db.introspection.getTables()).filter((t) => !NOT_COPIED.has(t.name))
  const unknown = present.filter((t) => !TABLES.some((known) => known.name === t.name))
  if (unknown.length > 0) {
    throw new Error(`migrate-db does not know how to copy table(s) ${unknown.map((t) => t.name).join(', ')}`)
  }
  return TABLES.map((table) => {
    const meta = present.find((t) => t.name === table.name)
    if (!meta) throw new Error(`the target has no table ${table.name}`)
    return { ...table, columns: meta.columns.map((c) => c.name).sort() }
  })
}

async function prepareTarget(db: AnyDb, options: MigrateDbOptions): Promise<void> {
  const resuming = await db
    .selectFrom('meta')
    .select('value')
    .where('key', '=', IN_PROGRESS_KEY)
    .executeTakeFirst()
  if (resuming) {
    options.progress('resuming an interrupted migration into this target (rows already copied are kept)')
    return
  }
  const nonEmpty: string[] = []
  for (const table of TABLES) {
    const { n } = await db
      .selectFrom(table.name)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    if (Number(n) > 0) nonEmpty.push(`${table.name} (${n} rows)`)
  }
  if (nonEmpty.length > 0) {
    if (!options.force) {
      throw new MigrateDbError(
        `the target database is not empty: ${nonEmpty.join(', ')}. Migrate into an empty database, or pass ` +
          '--force to delete everything in the target first (a server started on it creates an admin token and ' +
          'a master-key canary: that counts as content)',
      )
    }
    options.progress(`--force: emptying the target (${nonEmpty.join(', ')})`)
    await db.transaction().execute(async (trx) => {
      for (const table of TABLES) await trx.deleteFrom(table.name).execute()
    })
  }
  await db
    .insertInto('meta')
    .values({ key: IN_PROGRESS_KEY, value: String(Date.now()) })
    .execute()
}

/** Copies in key order, in batches; rows already present (an earlier, interrupted run) are overwritten. */
async function copyTable(from: AnyDb, to: AnyDb, table: TablePlan, progress: (line: string) => void) {
  const total = await countRows(from, table.name)
  progress(`copying ${table.name}: ${total} rows`)
  const nonKey = table.columns.filter((c) => !table.key.includes(c))
  let copied = 0
  let lastReport = Date.now()
  for await (const rows of batches(from, table)) {
    await to
      .insertInto(table.name)
      .values(rows)
      .onConflict((oc) => {
        const target = oc.columns(table.key as string[])
        return nonKey.length === 0
          ? target.doNothing()
          : target.doUpdateSet(Object.fromEntries(nonKey.map((c) => [c, sql.ref(`excluded.${c}`)])))
      })
      .execute()
    copied += rows.length
    if (Date.now() - lastReport > 2000) {
      progress(`  ${table.name}: ${copied}/${total}`)
      lastReport = Date.now()
    }
  }
  progress(`  ${table.name}: ${copied}/${total} done`)
}

async function* batches(db: AnyDb, table: TablePlan): AsyncGenerator<Row[]> {
  let after: unknown[] | undefined
  for (;;) {
    const keyTuple = sql.join(table.key.map((k) => sql.ref(k)))
    let query = db
      .selectFrom(table.name)
      .select(table.columns)
      .$if(after !== undefined, (q) => q.where(sql<boolean>`(${keyTuple}) > (${sql.join(after ?? [])})`))
      // The resume marker is the tool's own, not data: it is neither copied nor verified.
      .$if(table.name === 'meta', (q) => q.where('key', '<>', IN_PROGRESS_KEY))
      .limit(table.rowsPerBatch)
    for (const k of table.key) query = query.orderBy(sql.ref(k))
    const rows = await query.execute()
    if (rows.length === 0) return
    yield rows
    const last = rows.at(-1) as Row
    after = table.key.map((k) => last[k])
    if (rows.length < table.rowsPerBatch) return
  }
}

async function countRows(db: AnyDb, table: string): Promise<number> {
  const { n } = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(n)
}

/** Row count and a SHA-256 over every row in key order, in a form both dialects produce alike. */
async function digestTable(db: AnyDb, table: TablePlan): Promise<{ rows: number; sha256: string }> {
  const hash = createHash('sha256')
  let rows = 0
  for await (const batch of batches(db, table)) {
    for (const row of batch) {
      rows++
      for (const column of table.columns) {
        const value = row[column]
        hash.update(`${column}=`)
        if (Buffer.isBuffer(value)) hash.update(`b${value.length}:`).update(value)
        else if (value === null || value === undefined) hash.update('n')
        else if (typeof value === 'number' || typeof value === 'bigint') hash.update(`i${String(value)}`)
        else hash.update(`s${String(value).length}:${String(value)}`)
        hash.update('\u0000')
      }
    }
  }
  return { rows, sha256: hash.digest('hex') }
}
