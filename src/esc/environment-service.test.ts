import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decryptDefinitionSecrets, encryptDefinitionSecrets } from './definition-secrets.js'
import { parseDuration, propertyAt } from './environment-service.js'

describe('environment service helpers', () => {
  it('parses Go durations as the ESC client sends them', () => {
    assert.equal(parseDuration('2h0m0s'), 7_200_000)
    assert.equal(parseDuration('1h30m'), 5_400_000)
    assert.equal(parseDuration('1.5s'), 1500)
    assert.equal(parseDuration(undefined), 7_200_000)
    assert.throws(() => parseDuration('2 hours'), /invalid duration/)
    assert.throws(() => parseDuration('169h'), /longer than/)
  })

  it('follows property paths into open values', () => {
    const props = { a: { value: { 'b.c': { value: [{ value: 1 }, { value: 2 }] } } } }
    assert.deepEqual(propertyAt(props, 'a["b.c"][1]'), { value: 2 })
    assert.throws(() => propertyAt(props, 'a.x'), /not found/)
  })

  it('encrypts fn::secret plaintexts, keeps the rest of the text, and decrypts under values only', async () => {
    const source = '# keep me\nvalues:\n  a: 1 # and me\n  s:\n    fn::secret: hunter2\n'
    const xor = async (b: Uint8Array) => Buffer.from(b).map((x) => x ^ 0x55)
    const encrypted = await encryptDefinitionSecrets(source, xor)
    assert.doesNotMatch(encrypted, /hunter2/)
    assert.match(encrypted, /# keep me/)
    assert.match(encrypted, /a: 1 # and me/)
    assert.match(encrypted, /ciphertext: /)
    assert.equal(
      await decryptDefinitionSecrets(encrypted, xor),
      source.replace('fn::secret: hunter2', 'fn::secret: hunter2'),
    )
    const untouched = 'values:\n  plain: text\n'
    assert.equal(await encryptDefinitionSecrets(untouched, xor), untouched)
  })
})
