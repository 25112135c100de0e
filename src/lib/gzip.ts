import { promisify } from 'node:util'
import { gunzip as gunzipCb, gzip as gzipCb } from 'node:zlib'
import { InvalidError, TooLargeError } from '../errors.js'

const gzipAsync = promisify(gzipCb)
const gunzipAsync = promisify(gunzipCb)

/** Compresses on the libuv thread pool, never on the event loop. Level 6 balances size and CPU. */
export function gzip(data: Uint8Array): Promise<Buffer> {
  return gzipAsync(data, { level: 6 })
}

/** Decompresses off the event loop; refuses outputs beyond `maxBytes` (gzip bombs) with a clear error. */
export async function gunzip(data: Uint8Array, maxBytes: number = Number.MAX_SAFE_INTEGER): Promise<Buffer> {
  try {
    return await gunzipAsync(data, { maxOutputLength: Math.min(maxBytes, 2 ** 32) })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      throw new TooLargeError(`Payload Too Large: decompressed body exceeds ${maxBytes} bytes`)
    }
    throw new InvalidError('Bad Request: body is not valid gzip data')
  }
}
