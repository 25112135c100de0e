import { Type } from 'typebox'
import { ConflictError, ForbiddenError, UnavailableError } from '../errors.js'
import type { HttpServer } from '../http/http-server.js'
import { userOf } from '../http/route-config.js'
import { BackupFailedError, type BackupService } from './backup-service.js'

/** The answer of POST /api/admin/backup: the Go server's `path` and `remoteKeys`, plus what identifies the backup. */
export const CreateBackupResponse = Type.Object({
  name: Type.String({ description: 'File name of the backup in every destination' }),
  bytes: Type.Integer(),
  sha256: Type.String({ description: "SHA-256 of the backup's content, as recorded in its end marker" }),
  rows: Type.Record(Type.String(), Type.Integer(), { description: 'Rows per table' }),
  path: Type.String({ description: 'Path in -backup-dir, or "" when there is none' }),
  remoteKeys: Type.Record(Type.String(), Type.String(), {
    description: 'Object key by remote kind (s3, gcs)',
  }),
  failed: Type.Array(Type.Object({ destination: Type.String(), reason: Type.String() }), {
    description: 'Destinations that could not take this backup',
  }),
})

export function backupRoutes(app: HttpServer, deps: { backups: BackupService }): void {
  app.route({
    method: 'POST',
    url: '/api/admin/backup',
    // The Go server's operation name (internal/api: createBackup); the CLI has no such call.
    config: { operationId: 'createBackup', permission: 'org:admin', auth: 'token' },
    handler: async (request) => {
      // Admin only, as the Go server's handler (global admin); in single-tenant mode the one user is admin.
      if (!userOf(request.principal).admin) {
        throw new ForbiddenError('Forbidden: this operation requires admin rights')
      }
      if (!deps.backups.configured) {
        throw new ConflictError(
          'no backup destination configured: start the server with -backup-dir and/or -backup-destination',
        )
      }
      try {
        const result = await deps.backups.run('manual')
        const file = result.stored.find((s) => s.kind === 'file')
        const remote = result.stored.filter((s) => s.kind !== 'file')
        return {
          name: result.name,
          bytes: result.bytes,
          sha256: result.sha256,
          rows: result.rows,
          path: file?.location ?? '',
          remoteKeys: Object.fromEntries(remote.map((s) => [s.kind, s.location])),
          failed: result.failed.map((f) => ({ destination: f.description, reason: f.reason })),
        }
      } catch (error) {
        if (error instanceof BackupFailedError) throw new UnavailableError(error.message)
        throw error
      }
    },
  })
}
