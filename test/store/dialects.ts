// The databases the store contract runs on: SQLite always, PostgreSQL when the machine has it (else skipped with
// the reason). Each suite gets a fresh, migrated database and the real SqlStore on it.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before } from 'node:test'
import type { OpenedDatabase } from '../../src/db/database.js'
import { openDatabase } from '../../src/db/open-database.js'
import { SqlStore } from '../../src/db/store.js'
import { findPostgresBinaries, SHARED_CLUSTER_ENV, sharedTestDatabase } from '../support/postgres-cluster.js'

export interface DialectUnderTest {
  name: 'SQLite' | 'PostgreSQL'
  /** Why this dialect's suites are skipped on this machine, or false. */
  skip: string | false
  /** A fresh, empty database: its -db value. */
  target(): Promise<string>
}

function postgresSkip(): string | false {
  if (process.env[SHARED_CLUSTER_ENV]) return false
  const found = findPostgresBinaries()
  return 'missing' in found ? found.missing : false
}

export const DIALECTS: DialectUnderTest[] = [
  {
    name: 'SQLite',
    skip: false,
    async target() {
      const dir = mkdtempSync(join(tmpdir(), 'pulumi-backend-store-'))
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
      return join(dir, 'store.db')
    },
  },
  { name: 'PostgreSQL', skip: postgresSkip(), target: () => sharedTestDatabase() },
]

export interface StoreUnderTest {
  store: SqlStore
  database: OpenedDatabase
  target: string
}

/** Opens a fresh database for the enclosing describe; `use` receives it once open. */
export function useStore(dialect: DialectUnderTest, use: (opened: StoreUnderTest) => void): void {
  let database: OpenedDatabase | undefined
  before(async () => {
    const target = await dialect.target()
    database = await openDatabase(target, { maxConnections: 10 })
    use({ store: new SqlStore(database.db, database.dialect), database, target })
  })
  after(() => database?.close())
}
