import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Metrics, UploadMode } from './metrics.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Size of the request body after gzip inflation (0 without a body); set by the body parser. */
    bodyBytes: number
  }
}

// CLI endpoint names (src/http/route-table.ts) whose success is a stack operation or an upload of state.
const stackOperations = {
  createStack: 'create',
  deleteStack: 'delete',
  renameStack: 'rename',
  importStack: 'import',
} as const
const uploads: Record<string, UploadMode> = {
  patchCheckpoint: 'full',
  patchCheckpointVerbatim: 'verbatim',
  patchCheckpointDelta: 'delta',
  patchJournalEntries: 'journal',
}

/** Records one answered request (the shell's onResponse hook). */
export function recordRequest(metrics: Metrics, request: FastifyRequest, reply: FastifyReply): void {
  const url = request.routeOptions.url
  const operation = request.routeOptions.config.operationId ?? 'unmatched'
  const status = reply.statusCode
  metrics.observeRequest(
    request.method,
    url === undefined ? 'unmatched' : metrics.routeLabel(url),
    operation,
    status,
    reply.elapsedTime / 1000,
  )
  if (status >= 300) return
  const stackOperation = stackOperations[operation as keyof typeof stackOperations]
  if (stackOperation) metrics.stackOperation(stackOperation)
  const mode = uploads[operation]
  if (mode) metrics.uploadBytes(mode, request.bodyBytes)
}
