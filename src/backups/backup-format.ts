import { createHash, type Hash } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { finished } from 'node:stream/promises'
import { createGunzip, createGzip } from 'node:zlib'

/**
 * The portable backup file: gzip over newline-delimited JSON, the same for SQLite and PostgreSQL so one restore
 * path serves both. Line 1 is the header, then one line per row (`{"t": table, "r": row}`, bytes as
 * `{"$b": base64}`), then a trailer with the row count of every table and the SHA-256 of every byte before it.
 * A truncated file has no trailer (or a broken gzip stream); a modified one fails the hash.
 */
export const BACKUP_FORMAT = 'pulumi-backend-backup'
export const BACKUP_FORMAT_VERSION = 1

export interface BackupHeader {
  format: typeof BACKUP_FORMAT
  formatVersion: number
  createdAt: string
  /** The database engine the backup was taken from ('sqlite' | 'postgres'); informational. */
  source: string
  /** Schema migrations applied to the source, in order. */
  migrations: string[]
}

export interface BackupTrailer {
  rows: Record<string, number>
  sha256: string
}

export type Row = Record<string, unknown>

/** Writes a backup file row by row; `finish` writes the trailer and waits until the file is flushed. */
export class BackupWriter {
  readonly #gzip = createGzip({ level: 6 })
  readonly #file
  readonly #hash: Hash = createHash('sha256')
  readonly #rows: Record<string, number> = {}
  #pending: string[] = []
  #pendingBytes = 0

  #error: Error | undefined

  constructor(path: string, header: BackupHeader) {
    this.#file = createWriteStream(path, { flags: 'wx' })
    // A full disk or a vanished directory surfaces at the next row or at finish, never as an unhandled event.
    this.#file.on('error', (error) => {
      this.#error ??= error
    })
    this.#gzip.on('error', (error) => {
      this.#error ??= error
    })
    this.#gzip.pipe(this.#file)
    this.#push(JSON.stringify(header))
  }

  async row(table: string, row: Row): Promise<void> {
    if (this.#error) throw this.#error
    this.#rows[table] = (this.#rows[table] ?? 0) + 1
    this.#push(JSON.stringify({ t: table, r: encodeRow(row) }))
    if (this.#pendingBytes > 1 << 20) await this.#flush()
  }

  /** Returns the trailer written (the hash identifies the backup's content). */
  async finish(): Promise<BackupTrailer> {
    await this.#flush()
    const trailer: BackupTrailer = { rows: this.#rows, sha256: this.#hash.digest('hex') }
    this.#gzip.end(`${JSON.stringify({ end: trailer })}\n`)
    await finished(this.#file)
    return trailer
  }

  /** Releases the file after a failure (the caller removes it). */
  abort(): void {
    this.#gzip.destroy()
    this.#file.destroy()
  }

  #push(line: string): void {
    const text = `${line}\n`
    this.#hash.update(text)
    this.#pending.push(text)
    this.#pendingBytes += text.length
  }

  async #flush(): Promise<void> {
    if (this.#error) throw this.#error
    if (this.#pending.length === 0) return
    const chunk = this.#pending.join('')
    this.#pending = []
    this.#pendingBytes = 0
    // Back-pressure: a large state must not pile up in memory ahead of the disk.
    if (!this.#gzip.write(chunk)) await once(this.#gzip, 'drain')
  }
}

/** A backup file that is not complete, not ours, or modified: nothing may be restored from it. */
export class CorruptBackupError extends Error {
  override name = 'CorruptBackupError'
}

/**
 * Reads a backup file, checking its framing as it goes. `onRow` sees every row in file order; the trailer's
 * counts and hash are verified at the end, so a caller must treat rows as provisional until this resolves.
 */
export async function readBackup(
  path: string,
  onRow: (table: string, row: Row) => Promise<void>,
): Promise<{ header: BackupHeader; trailer: BackupTrailer }> {
  const hash = createHash('sha256')
  const counts: Record<string, number> = {}
  let header: BackupHeader | undefined
  let trailer: BackupTrailer | undefined
  const gunzip = createGunzip()
  const source = createReadStream(path)
  source.on('error', (error) => gunzip.destroy(error))
  const lines = createInterface({ input: source.pipe(gunzip), crlfDelay: Number.POSITIVE_INFINITY })
  try {
    for await (const line of lines) {
      if (trailer) throw new CorruptBackupError('data after the end marker')
      const record = parseLine(line)
      if (!header) {
        header = parseHeader(record)
        hash.update(`${line}\n`)
        continue
      }
      if ('end' in record) {
        trailer = record.end as BackupTrailer
        continue
      }
      hash.update(`${line}\n`)
      const { t: table, r: row } = record as { t?: unknown; r?: unknown }
      if (typeof table !== 'string' || typeof row !== 'object' || row === null) {
        throw new CorruptBackupError('a row line is malformed')
      }
      counts[table] = (counts[table] ?? 0) + 1
      await onRow(table, decodeRow(row as Row)).catch((error: unknown) => {
        throw new RowHandlerError(error)
      })
    }
  } catch (error) {
    // The caller's own failure (e.g. the target database refusing a row) is not a fault of the file.
    if (error instanceof RowHandlerError) throw error.cause
    if (error instanceof CorruptBackupError) throw error
    throw new CorruptBackupError(`not a readable backup file (${(error as Error).message})`)
  } finally {
    lines.close()
    source.destroy()
  }
  if (!header) throw new CorruptBackupError('the file is empty')
  if (!trailer) throw new CorruptBackupError('the file is truncated: it has no end marker')
  if (trailer.sha256 !== hash.digest('hex')) throw new CorruptBackupError('the content hash does not match')
  const expected = JSON.stringify(sortKeys(trailer.rows ?? {}))
  if (expected !== JSON.stringify(sortKeys(counts))) {
    throw new CorruptBackupError('the row counts do not match the end marker')
  }
  return { header, trailer }
}

/** Carries an error thrown by `onRow` through the file-error handling unchanged. */
class RowHandlerError extends Error {
  constructor(override readonly cause: unknown) {
    super('row handler failed')
  }
}

function parseLine(line: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(line)
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>
  } catch {
    // fall through
  }
  throw new CorruptBackupError('a line is not a JSON object')
}

function parseHeader(record: Record<string, unknown>): BackupHeader {
  if (record.format !== BACKUP_FORMAT) throw new CorruptBackupError('not a pulumi-backend backup file')
  if (record.formatVersion !== BACKUP_FORMAT_VERSION) {
    throw new CorruptBackupError(
      `backup format version ${String(record.formatVersion)} is not supported (this server reads ${BACKUP_FORMAT_VERSION})`,
    )
  }
  if (!Array.isArray(record.migrations)) throw new CorruptBackupError('the header lists no schema migrations')
  return record as unknown as BackupHeader
}

function encodeRow(row: Row): Row {
  const out: Row = {}
  for (const [column, value] of Object.entries(row)) {
    out[column] = value instanceof Uint8Array ? { $b: Buffer.from(value).toString('base64') } : value
  }
  return out
}

function decodeRow(row: Row): Row {
  const out: Row = {}
  for (const [column, value] of Object.entries(row)) {
    const bytes = typeof value === 'object' && value !== null ? (value as { $b?: unknown }).$b : undefined
    out[column] = typeof bytes === 'string' ? Buffer.from(bytes, 'base64') : value
  }
  return out
}

function sortKeys(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)))
}
