import SQLite from 'better-sqlite3'
import pg from 'pg'
import { isPostgresUrl } from '../../src/db/open-database.js'

/**
 * Runs one SQL statement against a test server's database (its -db value: SQLite file or PostgreSQL URL) on a
 * connection of its own, to look at what was stored or to break it on purpose. `?` placeholders in either dialect.
 */
export async function queryDatabase<T>(db: string, text: string, params: unknown[] = []): Promise<T[]> {
  if (isPostgresUrl(db)) {
    const client = new pg.Client({ connectionString: db })
    await client.connect()
    try {
      let n = 0
      const result = await client.query(
        text.replace(/\?/g, () => `$${++n}`),
        params,
      )
      return result.rows as T[]
    } finally {
      await client.end()
    }
  }
  const native = new SQLite(db)
  try {
    const statement = native.prepare(text)
    if (statement.reader) return statement.all(...params) as T[]
    statement.run(...params)
    return []
  } finally {
    native.close()
  }
}
