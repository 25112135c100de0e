import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { Logger } from 'pino'
import { migrate, type OpenedDatabase, type QueryListener, queryLog } from './database.js'
import type { Database } from './schema.js'

// int8 (bigint) columns hold Unix-millisecond timestamps and sequence numbers, all far below 2^53: read them as
// numbers like SQLite does, instead of pg's default strings (for this pool only; counts are int8 too).
export const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8
      ? (text: string) => Number(text)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
}

export interface PostgresOptions {
  /** Pool size per server process (-db-max-connections). */
  maxConnections: number
  logger?: Logger | undefined
  /** Told every statement's text and duration (the query-latency metric). */
  onQuery?: QueryListener | undefined
}

/**
 * Opens a connection pool to PostgreSQL and applies pending migrations. TLS and credentials come from the URL
 * (sslmode, sslrootcert, sslcert, sslkey, as libpq spells them), so nothing secret needs its own option.
 */
export async function openPostgresDatabase(url: string, options: PostgresOptions): Promise<OpenedDatabase> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections,
    // A database that cannot be reached fails the request (503) instead of queueing it forever.
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'pulumi-backend',
    types: pgTypes,
  })
  // A pooled idle connection that breaks (server restart, network drop) emits 'error' on the pool; unhandled, it
  // would crash the process. The pool discards that connection and opens a fresh one on the next request.
  pool.on('error', (error) => {
    options.logger?.warn(
      { err: { message: error.message } },
      'idle PostgreSQL connection lost; the pool reconnects',
    )
  })
  // A connection that breaks while checked out (between the statements of a transaction) emits 'error' on the
  // client itself, where the pool's idle listener is detached: the statement in flight fails (503), and this
  // listener keeps the event from crashing the process.
  pool.on('connect', (client) => {
    client.on('error', () => {})
  })
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    ...(options.onQuery && { log: queryLog(options.onQuery) }),
  })
  try {
    await migrate(db, 'bytea')
  } catch (error) {
    await db.destroy()
    throw error
  }
  return {
    db,
    dialect: 'postgres',
    async close() {
      await db.destroy()
    },
  }
}
