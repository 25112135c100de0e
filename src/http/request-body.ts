import type { FastifyRequest } from 'fastify'
import { InvalidError } from '../errors.js'
import { gunzip } from '../lib/gzip.js'

/**
 * Turns a request's body bytes into what the handler gets: parsed JSON, or the exact bytes for routes that keep
 * them (`rawBody`). The CLI gzips large bodies (checkpoints, journal batches, imports: protocol §1.3); they are
 * inflated in one call on the thread pool, capped at `limit` decompressed bytes, which stops gzip bombs.
 */
export async function parseRequestBody(
  request: FastifyRequest,
  body: Buffer,
  limit: number,
): Promise<unknown> {
  const raw = isGzip(request) ? await gunzip(body, limit) : body
  request.bodyBytes = raw.length
  if (request.routeOptions.config.rawBody) return raw
  if (raw.length === 0) return undefined
  try {
    return JSON.parse(raw.toString('utf8'))
  } catch {
    throw new InvalidError('Bad Request: the request body is not valid JSON')
  }
}

function isGzip(request: FastifyRequest): boolean {
  const encoding = request.headers['content-encoding']?.trim().toLowerCase()
  if (!encoding || encoding === 'identity') return false
  if (encoding === 'gzip' || encoding === 'x-gzip') return true
  throw new InvalidError(`Bad Request: unsupported Content-Encoding '${encoding}'; send gzip or no encoding`)
}
