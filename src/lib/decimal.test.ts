import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseDecimalInteger } from './decimal.js'

describe('parseDecimalInteger', () => {
  it('takes canonical decimals in the safe range and at least min', () => {
    assert.equal(parseDecimalInteger('1', 1), 1)
    assert.equal(parseDecimalInteger('0', 0), 0)
    assert.equal(parseDecimalInteger('-1', -1), -1)
    assert.equal(parseDecimalInteger(String(Number.MAX_SAFE_INTEGER), 0), Number.MAX_SAFE_INTEGER)
  })

  it('refuses everything else', () => {
    for (const raw of [
      '',
      ' 1',
      '1 ',
      '01',
      '1.0',
      '1e3',
      '0x1',
      '+1',
      '-0x1',
      '9007199254740992',
      '1'.repeat(400),
    ]) {
      assert.equal(parseDecimalInteger(raw, 0), undefined, raw)
    }
    assert.equal(parseDecimalInteger('0', 1), undefined)
    assert.equal(parseDecimalInteger('-2', -1), undefined)
  })
})
