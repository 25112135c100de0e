import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { Clock } from '../lib/clock.js'
import { describeError } from '../lib/describe-error.js'
import type { DatabaseSnapshot } from './database-snapshot.js'
import { type BackupDestination, backupName } from './destination.js'
import { writeBackupFile } from './write-backup.js'

export type BackupTrigger = 'manual' | 'schedule'

export interface BackupResult {
  name: string
  bytes: number
  /** SHA-256 of the backup's content (its end marker's hash). */
  sha256: string
  rows: Record<string, number>
  /** Where each destination stored it: a file path or an object key. */
  stored: { kind: BackupDestination['kind']; location: string }[]
  /** Destinations that failed, with the reason (the backup still counts if one destination has it). */
  failed: { kind: BackupDestination['kind']; description: string; reason: string }[]
}

export interface BackupObserver {
  backupFinished(trigger: BackupTrigger, result: 'success' | 'failure', seconds: number, bytes: number): void
}

/** A backup that reached no destination; the message is safe to show (no credentials, no internals). */
export class BackupFailedError extends Error {
  override name = 'BackupFailedError'
}

/**
 * Takes backups: a consistent snapshot into the portable file, then a copy to every destination, then retention.
 * One at a time per process (a manual request waits for a running scheduled one rather than overlapping it, which
 * the Go server allowed); across replicas the schedule is a singleton job.
 */
export class BackupService {
  #running: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly deps: {
      openSnapshot: () => Promise<DatabaseSnapshot>
      destinations: readonly BackupDestination[]
      /** Keep the newest N backups in each destination; 0 keeps all. */
      retention: number
      clock: Clock
      logger: Logger
      observer: BackupObserver
    },
  ) {}

  get configured(): boolean {
    return this.deps.destinations.length > 0
  }

  /** Fails with a clear message when a destination is unreachable or misconfigured. */
  async checkDestinations(): Promise<void> {
    for (const destination of this.deps.destinations) {
      try {
        await destination.check()
      } catch (error) {
        throw new BackupFailedError(
          `backup destination ${destination.description} is not usable: ${describeError(error)}`,
        )
      }
    }
  }

  run(trigger: BackupTrigger): Promise<BackupResult> {
    const next = this.#running.then(() => this.#run(trigger))
    this.#running = next.catch(() => {})
    return next
  }

  async #run(trigger: BackupTrigger): Promise<BackupResult> {
    const { clock, logger, observer, destinations } = this.deps
    if (destinations.length === 0) {
      throw new BackupFailedError(
        'no backup destination configured (use -backup-dir and/or -backup-destination)',
      )
    }
    const started = performance.now()
    const name = backupName(clock.now(), randomBytes(3).toString('hex'))
    const workDir = await mkdtemp(join(tmpdir(), 'pulumi-backend-backup-'))
    const path = join(workDir, name)
    let bytes = 0
    try {
      logger.info({ backup: name, trigger }, 'backup started')
      const snapshot = await this.deps.openSnapshot()
      let trailer: Awaited<ReturnType<typeof writeBackupFile>>
      try {
        trailer = await writeBackupFile(snapshot, path, clock.now(), (line) =>
          logger.info({ backup: name }, `backup progress:${line}`),
        )
      } finally {
        await snapshot.close()
      }
      bytes = (await stat(path)).size
      const result: BackupResult = {
        name,
        bytes,
        sha256: trailer.sha256,
        rows: trailer.rows,
        stored: [],
        failed: [],
      }
      for (const destination of destinations) {
        try {
          const location = await destination.put(name, path)
          result.stored.push({ kind: destination.kind, location })
          await this.#prune(destination)
        } catch (error) {
          const reason = describeError(error)
          result.failed.push({ kind: destination.kind, description: destination.description, reason })
          logger.error({ backup: name, destination: destination.description, reason }, 'backup copy failed')
        }
      }
      if (result.stored.length === 0) {
        throw new BackupFailedError(
          `backup ${name} reached no destination: ${result.failed.map((f) => `${f.description}: ${f.reason}`).join('; ')}`,
        )
      }
      observer.backupFinished(trigger, 'success', (performance.now() - started) / 1000, bytes)
      logger.info({ backup: name, bytes, sha256: trailer.sha256, stored: result.stored }, 'backup finished')
      return result
    } catch (error) {
      observer.backupFinished(trigger, 'failure', (performance.now() - started) / 1000, bytes)
      logger.error({ backup: name, trigger, reason: describeError(error) }, 'backup failed')
      throw error instanceof BackupFailedError
        ? error
        : new BackupFailedError(`backup ${name} failed: ${describeError(error)}`)
    } finally {
      await rm(workDir, { recursive: true, force: true })
    }
  }

  async #prune(destination: BackupDestination): Promise<void> {
    const keep = this.deps.retention
    if (keep <= 0) return
    const names = await destination.list()
    for (const old of names.slice(keep)) {
      await destination.delete(old)
      this.deps.logger.info(
        { destination: destination.description, backup: old },
        'old backup removed (retention)',
      )
    }
  }
}
