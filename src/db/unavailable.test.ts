import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isDatabaseUnavailable } from './unavailable.js'

describe('isDatabaseUnavailable', () => {
  it('recognises outages, aborted transactions and a busy SQLite file', () => {
    for (const code of [
      'ECONNREFUSED',
      'ECONNRESET',
      '57P01',
      '57P03',
      '08006',
      '53300',
      '40P01',
      '40001',
      'SQLITE_BUSY',
    ]) {
      assert.equal(isDatabaseUnavailable(Object.assign(new Error('x'), { code })), true, code)
    }
    assert.equal(isDatabaseUnavailable(new Error('Connection terminated unexpectedly')), true)
    assert.equal(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect')), true)
  })

  it('leaves everything else to be an internal error', () => {
    for (const code of ['23505', '42P01', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_ERROR', undefined]) {
      assert.equal(
        isDatabaseUnavailable(Object.assign(new Error('no such table'), { code })),
        false,
        String(code),
      )
    }
    assert.equal(isDatabaseUnavailable('ECONNREFUSED'), false)
    assert.equal(isDatabaseUnavailable(null), false)
  })
})
