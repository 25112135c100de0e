/** Where finished backup files go. Every implementation makes an object visible under its final name only whole. */
export interface BackupDestination {
  /** For logs, metrics and the API answer: 'file', 's3', 'gcs' (the Go server's remoteKeys names). */
  readonly kind: 'file' | 's3' | 'gcs'
  /** Human description without credentials, e.g. `s3://bucket/backups/`. */
  readonly description: string
  /** Fails clearly when the destination is unreachable or misconfigured (checked at startup). */
  check(): Promise<void>
  /** Stores the local file `path` as `name`; returns where it went (a file path or an object key). */
  put(name: string, path: string): Promise<string>
  /** Backup names held there, newest first. */
  list(): Promise<string[]>
  delete(name: string): Promise<void>
  /** Copies `name` to the local file `path` (for restore). */
  fetch(name: string, path: string): Promise<void>
}

/** Backup file names sort by time: `backup-20261202T071530123Z-<random>.pbk.gz`. */
export const BACKUP_NAME = /^backup-\d{8}T\d{9}Z-[0-9a-f]{6}\.pbk\.gz$/

export function backupName(atMs: number, random: string): string {
  const stamp = new Date(atMs).toISOString().replace(/[-:.]/g, '')
  return `backup-${stamp}-${random}.pbk.gz`
}

/** A parsed `-backup-destination`: `s3://bucket[/prefix]` (prefix defaults to `backups/`, always ends in `/`). */
export interface RemoteLocation {
  scheme: 's3' | 'gs'
  bucket: string
  prefix: string
}

export function parseRemoteLocation(text: string): RemoteLocation | { error: string } {
  const match = /^(s3|gs):\/\/([^/]+)(?:\/(.*))?$/.exec(text)
  if (!match) return { error: 'expected s3://bucket[/prefix] or gs://bucket[/prefix]' }
  const [, scheme, bucket = '', rawPrefix = ''] = match
  // As the Go server (internal/backup/destination.go): default prefix, trailing slash enforced.
  const prefix = rawPrefix === '' ? 'backups/' : rawPrefix.endsWith('/') ? rawPrefix : `${rawPrefix}/`
  return { scheme: scheme as 's3' | 'gs', bucket, prefix }
}
