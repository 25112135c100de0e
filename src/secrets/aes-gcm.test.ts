import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { open, seal } from './aes-gcm.js'

describe('aes-gcm', () => {
  const key = randomBytes(32)

  it('round-trips arbitrary bytes', () => {
    const plaintext = randomBytes(100)
    assert.deepEqual(open(key, seal(key, plaintext, 'ctx'), 'ctx'), plaintext)
  })

  it('uses a fresh nonce for every seal', () => {
    assert.notDeepEqual(seal(key, Buffer.from('x'), 'ctx'), seal(key, Buffer.from('x'), 'ctx'))
  })

  it('refuses another context, another key and tampered bytes', () => {
    const sealed = seal(key, Buffer.from('secret'), 'stack-a')
    assert.equal(open(key, sealed, 'stack-b'), undefined)
    assert.equal(open(randomBytes(32), sealed, 'stack-a'), undefined)
    const tampered = Buffer.from(sealed)
    tampered[20] = (tampered[20] ?? 0) ^ 1
    assert.equal(open(key, tampered, 'stack-a'), undefined)
    assert.equal(open(key, Buffer.alloc(5), 'stack-a'), undefined)
  })
})
