import SQLite from 'better-sqlite3'
import type { Row } from './backup-format.js'
import { tableKey } from './backup-tables.js'
import type { DatabaseSnapshot } from './database-snapshot.js'

/**
 * A SQLite snapshot over its own read-only connection: in WAL mode a read transaction sees one instant of the
 * database while the server keeps writing (readers never block writers), and rows stream one at a time so a large
 * state never sits in memory whole. (The Go server uses the page-copy backup API for the same guarantee.)
 */
export function openSqliteSnapshot(path: string): DatabaseSnapshot {
  if (path === '' || path === ':memory:') {
    throw new Error('an in-memory database cannot be backed up; run the server with -db <file>')
  }
  const native = new SQLite(path, { readonly: true, fileMustExist: true })
  native.pragma('busy_timeout = 5000')
  native.exec('begin')
  // The snapshot starts at the first read; take it now so every table is read at the same instant.
  native.prepare('select count(*) from schema_migrations').get()
  return {
    source: 'sqlite',
    async migrations() {
      const rows = native.prepare('select name from schema_migrations order by name').all() as {
        name: string
      }[]
      return rows.map((row) => row.name)
    },
    async *rows(table) {
      // Table and column names come from the fixed list in backup-tables.ts, never from input.
      const order = tableKey(table).join(', ')
      for (const row of native.prepare(`select * from ${table} order by ${order}`).iterate()) {
        yield row as Row
      }
    },
    async close() {
      if (native.inTransaction) native.exec('rollback')
      native.close()
    },
  }
}
