import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'

/**
 * Requests Node's HTTP parser rejects before Fastify sees them (headers too large, a malformed request line, a body
 * longer than its Content-Length) are answered on the raw socket. Fastify's default body there has a string
 * `error` and no numeric `code`, which the CLI cannot decode (api.go :: decodeError); this answers its shape.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const [status, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large: the request line and headers exceed the size limit']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout: the request was not received in time']
        : [400, 'Bad Request: the request is not valid HTTP']
  const body = JSON.stringify({ code: status, message })
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy(error)
}
