import { isPostgresUrl } from '../db/open-database.js'
import type { Row } from './backup-format.js'
import type { BackupTable } from './backup-tables.js'
import { openPostgresSnapshot } from './postgres-snapshot.js'
import { openSqliteSnapshot } from './sqlite-snapshot.js'

/** A consistent, read-only view of the whole database at one instant, read table by table. */
export interface DatabaseSnapshot {
  readonly source: 'sqlite' | 'postgres'
  migrations(): Promise<string[]>
  rows(table: BackupTable): AsyncIterable<Row>
  close(): Promise<void>
}

/** Opens a snapshot of the database `-db` names (a postgres:// URL or a SQLite file). */
export async function openDatabaseSnapshot(target: string): Promise<DatabaseSnapshot> {
  return isPostgresUrl(target) ? openPostgresSnapshot(target) : openSqliteSnapshot(target)
}
