import { Transform } from 'node:stream'
import { createGunzip } from 'node:zlib'
import type { FastifyRequest, RequestPayload } from 'fastify'
import { InvalidError } from '../errors.js'

/**
 * The CLI gzips large bodies (checkpoints, journal batches, imports: protocol §1.3). Inflating here, before
 * Fastify reads the body, makes the body limit apply to the *decompressed* size, which stops gzip bombs.
 */
export async function inflateRequestBody(
  request: FastifyRequest,
  _reply: unknown,
  payload: RequestPayload,
): Promise<RequestPayload> {
  const encoding = request.headers['content-encoding']?.trim().toLowerCase()
  if (!encoding || encoding === 'identity') return payload
  if (encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new InvalidError(
      `Bad Request: unsupported Content-Encoding '${encoding}'; send gzip or no encoding`,
    )
  }
  // Count raw bytes so Fastify checks Content-Length against what was actually received on the wire.
  let received = 0
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length
      inflated.receivedEncodedLength = received
      done(null, chunk)
    },
  })
  const inflated = createGunzip() as ReturnType<typeof createGunzip> & { receivedEncodedLength?: number }
  inflated.receivedEncodedLength = 0
  payload.on('error', (error) => inflated.destroy(error))
  payload.pipe(counter).pipe(inflated)
  return inflated
}
