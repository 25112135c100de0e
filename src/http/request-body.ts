import type { FastifyRequest } from 'fastify'
import { InvalidError, TooLargeError } from '../errors.js'
import { gunzip } from '../lib/gzip.js'
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../lib/json-depth.js'
import { type BodyLimits, tooLargeMessage, unparsedLimit } from './body-limits.js'

/**
 * Turns a request's body bytes into what the handler gets: parsed JSON, or the exact bytes for routes that keep
 * them (`rawBody`). The CLI gzips large bodies (checkpoints, journal batches, imports: protocol §1.3); they are
 * inflated in one call on the thread pool, capped at the route's limit in decompressed bytes, which stops gzip
 * bombs. Fastify has already capped the raw bytes at the same limit (`bodyLimit` of the route).
 */
export async function parseRequestBody(
  request: FastifyRequest,
  body: Buffer,
  limits: BodyLimits,
): Promise<unknown> {
  const config = request.routeOptions.config
  const bodyClass = config.body ?? 'json'
  const limit = unparsedLimit(limits, bodyClass)
  let raw = body
  if (isGzip(request)) {
    try {
      raw = await gunzip(body, limit.bytes)
    } catch (error) {
      if (error instanceof TooLargeError) throw new TooLargeError(tooLargeMessage(limit))
      throw error
    }
  }
  request.bodyBytes = raw.length
  if (!config.scansJson && jsonNestsDeeperThan(raw)) {
    throw new InvalidError(
      `Bad Request: the body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`,
    )
  }
  if (config.rawBody) return raw
  if (raw.length === 0) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(raw.toString('utf8'))
  } catch {
    throw new InvalidError('Bad Request: the request body is not valid JSON')
  }
  if (bodyClass === 'journal' && raw.length > limits.journal.bytes && journalEntryCount(parsed) > 1) {
    throw new TooLargeError(tooLargeMessage(limits.journal))
  }
  return parsed
}

// apitype.JournalEntries, or the bare array journal-entries.ts also accepts; anything else is refused later.
function journalEntryCount(body: unknown): number {
  const entries = Array.isArray(body) ? body : (body as { entries?: unknown } | null)?.entries
  return Array.isArray(entries) ? entries.length : 0
}

function isGzip(request: FastifyRequest): boolean {
  const encoding = request.headers['content-encoding']?.trim().toLowerCase()
  if (!encoding || encoding === 'identity') return false
  if (encoding === 'gzip' || encoding === 'x-gzip') return true
  throw new InvalidError(`Bad Request: unsupported Content-Encoding '${encoding}'; send gzip or no encoding`)
}
