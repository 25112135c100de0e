import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { InvalidError } from '../errors.js'
import { decodeBase64 } from './base64.js'

describe('decodeBase64', () => {
  it('decodes standard padded base64', () => {
    assert.equal(decodeBase64('', 'x').length, 0)
    assert.equal(decodeBase64('YQ==', 'x').toString(), 'a')
    assert.equal(decodeBase64('YWI=', 'x').toString(), 'ab')
    assert.equal(decodeBase64('YWJj', 'x').toString(), 'abc')
    assert.deepEqual(decodeBase64('+/8=', 'x'), Buffer.from([0xfb, 0xff]))
  })

  it('refuses unpadded, URL-safe, misplaced padding and junk', () => {
    for (const bad of ['YQ', 'YWI', '-_8=', 'Y===', '====', 'YQ==YQ==', 'YW J', 'YWJj\n', 'YQ=a']) {
      assert.throws(() => decodeBase64(bad, 'x'), InvalidError, bad)
    }
  })

  it('checks megabytes of input without overflowing the regexp stack', () => {
    const big = Buffer.alloc(12 * 1024 * 1024, 7).toString('base64')
    assert.equal(decodeBase64(big, 'x').length, 12 * 1024 * 1024)
  })
})
