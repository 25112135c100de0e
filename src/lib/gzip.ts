import { promisify } from 'node:util'
import { gunzip as gunzipCb, gunzipSync, gzip as gzipCb } from 'node:zlib'
import { InvalidError, TooLargeError } from '../errors.js'

const gzipAsync = promisify(gzipCb)
const gunzipAsync = promisify(gunzipCb)

/** Compresses on the libuv thread pool, never on the event loop. Level 6 balances size and CPU. */
export function gzip(data: Uint8Array): Promise<Buffer> {
  return gzipAsync(data, { level: 6 })
}

// Below this compressed size, inflating inline is cheaper than a round trip through the thread pool.
const INLINE_GUNZIP_MAX_BYTES = 16 * 1024

/** Decompresses off the event loop (small inputs inline); refuses outputs beyond `maxBytes` (gzip bombs). */
export async function gunzip(data: Uint8Array, maxBytes: number = Number.MAX_SAFE_INTEGER): Promise<Buffer> {
  const options = { maxOutputLength: Math.min(maxBytes, 2 ** 32) }
  try {
    return data.length <= INLINE_GUNZIP_MAX_BYTES
      ? gunzipSync(data, options)
      : await gunzipAsync(data, options)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      throw new TooLargeError(`Payload Too Large: decompressed body exceeds ${maxBytes} bytes`)
    }
    throw new InvalidError('Bad Request: body is not valid gzip data')
  }
}
