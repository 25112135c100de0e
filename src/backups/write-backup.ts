import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, type BackupTrailer, BackupWriter } from './backup-format.js'
import { BACKUP_TABLES } from './backup-tables.js'
import type { DatabaseSnapshot } from './database-snapshot.js'

/** Writes every table of `snapshot` to a new backup file at `path` (which must not exist). */
export async function writeBackupFile(
  snapshot: DatabaseSnapshot,
  path: string,
  createdAtMs: number,
  progress: (line: string) => void = () => {},
): Promise<BackupTrailer> {
  const writer = new BackupWriter(path, {
    format: BACKUP_FORMAT,
    formatVersion: BACKUP_FORMAT_VERSION,
    createdAt: new Date(createdAtMs).toISOString(),
    source: snapshot.source,
    migrations: await snapshot.migrations(),
  })
  try {
    for (const table of BACKUP_TABLES) {
      let rows = 0
      for await (const row of snapshot.rows(table)) {
        await writer.row(table, row)
        rows++
      }
      progress(`  ${table}: ${rows} rows`)
    }
    return await writer.finish()
  } catch (error) {
    writer.abort()
    throw error
  }
}
