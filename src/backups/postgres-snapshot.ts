import pg from 'pg'
import Cursor from 'pg-cursor'
import { pgTypes } from '../db/postgres-database.js'
import type { Row } from './backup-format.js'
import { tableKey } from './backup-tables.js'
import type { DatabaseSnapshot } from './database-snapshot.js'

/** Rows fetched per round trip: small, because one state version row can be megabytes. */
const FETCH_ROWS = 50

/**
 * A PostgreSQL snapshot on its own connection: one REPEATABLE READ, READ ONLY transaction sees every table at the
 * same instant while the server keeps writing (MVCC: readers never block writers), and a server-side cursor per
 * table streams rows in small batches, so a table never sits in memory whole. (The Go server has no PostgreSQL
 * backup; this writes the same portable file as the SQLite snapshot, so one restore path serves both.)
 */
export async function openPostgresSnapshot(url: string): Promise<DatabaseSnapshot> {
  const client = new pg.Client({
    connectionString: url,
    application_name: 'pulumi-backend-backup',
    connectionTimeoutMillis: 10_000,
    types: pgTypes,
  })
  // A connection dropped mid-backup fails the query in flight; the event itself must not crash the process.
  client.on('error', () => {})
  await client.connect()
  try {
    await client.query('begin isolation level repeatable read read only')
    // The snapshot is taken at the first statement: take it now so every table is read at the same instant.
    await client.query('select count(*) from schema_migrations')
  } catch (error) {
    await client.end().catch(() => {})
    throw error
  }
  return {
    source: 'postgres',
    async migrations() {
      const result = await client.query<{ name: string }>('select name from schema_migrations order by name')
      return result.rows.map((row) => row.name)
    },
    async *rows(table) {
      // Table and column names come from the fixed list in backup-tables.ts, never from input.
      const cursor = client.query(
        new Cursor<Row>(`select * from ${table} order by ${tableKey(table).join(', ')}`),
      )
      try {
        for (;;) {
          const batch = await cursor.read(FETCH_ROWS)
          if (batch.length === 0) return
          yield* batch
        }
      } finally {
        await cursor.close()
      }
    },
    async close() {
      await client.query('rollback').catch(() => {})
      await client.end()
    },
  }
}
