// Errors that mean "the database cannot serve this right now" rather than "this request is wrong": a PostgreSQL
// restart or failover, a dropped connection, a full pool that timed out, a busy SQLite file, a transaction
// PostgreSQL aborted to break a deadlock (it is safe to run again). They answer 503, not a
// 500 that reads like a bug. The CLI retries any 5xx of update calls and GETs, 4 more times over ~15 s
// (sdk/go/common/util/httputil/http.go :: DoWithRetryOpts, via client/api.go :: defaultHTTPClient.Do).

// Node socket errors seen by the pg driver when the server is gone or unreachable.
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])

// PostgreSQL SQLSTATEs: class 08 (connection exception), 57P01-57P03 (admin/crash shutdown, cannot connect
// now, e.g. during recovery), 53300 (too many connections), 25006 (read-only transaction: a standby after failover),
// 40P01 (deadlock detected) and 40001 (serialization failure): the transaction was rolled back whole.
const SQLSTATES = /^(08\d{3}|57P0[123]|53300|25006|40P01|40001)$/

// The pg driver's own messages for a connection that ended or could not be made in time (they carry no code).
const DRIVER_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Client was closed/i

export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const { code, message } = error as { code?: unknown; message?: unknown }
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code) || SQLSTATES.test(code)) return true
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT') return true
  }
  return typeof message === 'string' && DRIVER_MESSAGES.test(message)
}

export const DATABASE_UNAVAILABLE_MESSAGE =
  'Service Unavailable: the database cannot serve this request right now; retry in a few seconds'
