import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sha256HexAsync } from './sha256.js'

describe('sha256HexAsync', () => {
  it('is lowercase hex SHA-256 (the CLI checkpointHash format, diffs.go :: computeHash)', async () => {
    assert.equal(
      await sha256HexAsync(new Uint8Array()),
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    )
    assert.equal(
      await sha256HexAsync(Buffer.from('abc')),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
  })
})
