import assert from 'node:assert/strict'
import { CliApiError } from './cli-client.js'

/** Asserts the promise fails with the CLI's error body: `code` equal to the status and an actionable message. */
export async function assertApiError(promise: Promise<unknown>, status: number, message?: string | RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof CliApiError, `expected an API error, got ${String(error)}`)
    assert.equal(error.status, status, `status (message: ${error.apiMessage})`)
    assert.equal(error.code, status, 'error body code must equal the HTTP status')
    assert.ok(error.apiMessage.length > 0, 'error message must not be empty')
    assert.doesNotMatch(error.apiMessage, /SQLITE|sqlite|select |insert |\/tmp\/|\.ts:|at [A-Za-z]+ \(/)
    if (typeof message === 'string') assert.equal(error.apiMessage, message)
    else if (message) assert.match(error.apiMessage, message)
    return true
  })
}
