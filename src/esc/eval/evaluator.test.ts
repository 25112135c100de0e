import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeCiphertext, encodeCiphertext } from './ciphertext.js'
import { type EvalOptions, evaluateSource, propertiesToJSON } from './evaluator.js'

const options = (overrides: Partial<EvalOptions> = {}): EvalOptions => ({
  validating: false,
  decrypter: { decrypt: async (b) => b },
  providers: {
    loadProvider: async (name) => {
      throw new Error(`unknown provider "${name}"`)
    },
    loadRotator: async (name) => {
      throw new Error(`unknown rotator "${name}"`)
    },
  },
  environments: {
    loadEnvironment: async (name) => {
      throw new Error(`environment "${name}" not found`)
    },
  },
  execContext: { values: {} },
  ...overrides,
})

/** An ESC reference, quoted so it can stand inside YAML flow collections. */
const ref = (path: string) => `"\${${path}}"`

describe('evaluator', () => {
  it('evaluates built-ins and escapes', async () => {
    const source = [
      'values:',
      '  list: [a, b]',
      `  joined: {fn::join: [",", ${ref('list')}]}`,
      `  split: {fn::split: [",", ${ref('joined')}]}`,
      '  json: {fn::toJSON: {k: [1, true]}}',
      `  parsed: {fn::fromJSON: ${ref('json')}}`,
      '  b64: {fn::toBase64: hi}',
      `  back: {fn::fromBase64: ${ref('b64')}}`,
      `  text: {fn::toString: ${ref('list')}}`,
      `  both: {fn::concat: [${ref('list')}, [c]]}`,
      '  escaped: $${not.a.ref}',
    ].join('\n')
    const result = await evaluateSource('t', source, options())
    assert.deepEqual(result.diags, [])
    assert.deepEqual(propertiesToJSON(result.environment?.properties ?? {}, false), {
      list: ['a', 'b'],
      joined: 'a,b',
      split: ['a', 'b'],
      json: '{"k":[1,true]}',
      parsed: { k: [1, true] },
      b64: 'aGk=',
      back: 'hi',
      text: '"a","b"',
      both: ['a', 'b', 'c'],
      escaped: `\${not.a.ref}`,
    })
  })

  it('stops an interpolation bomb with a diagnostic instead of building the string', async () => {
    let source = 'values:\n  l0: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n'
    for (let i = 1; i < 64; i++)
      source += `  l${i}: ${ref(`l${i - 1}`)
        .replaceAll('"', '')
        .repeat(2)}\n`
    const result = await evaluateSource('bomb', source, options())
    assert.equal(result.environment, undefined)
    assert.match(result.diags[0]?.summary ?? '', /longer than \d+ characters|exceeded/)
  })

  it('stops exponential copying through references with a step budget', async () => {
    let source = 'values:\n  a0: [1, 2]\n'
    for (let i = 1; i < 40; i++) source += `  a${i}: [${ref(`a${i - 1}`)}, ${ref(`a${i - 1}`)}]\n`
    const result = await evaluateSource(
      'copies',
      source,
      options({ limits: { maxSteps: 50_000, maxStringLength: 1 << 20, maxImports: 10 } }),
    )
    assert.match(result.diags[0]?.summary ?? '', /exceeded 50000 steps/)
  })

  it('survives a fn::validate schema that refers to itself', async () => {
    const source = [
      'values:',
      '  v:',
      '    fn::validate:',
      "      schema: {$ref: '#/$defs/loop', $defs: {loop: {anyOf: [{$ref: '#/$defs/loop'}]}}}",
      '      value: 1',
    ].join('\n')
    const result = await evaluateSource('refs', source, options())
    assert.deepEqual(propertiesToJSON(result.environment?.properties ?? {}, false), { v: 1 })
  })

  it('reports deep nesting as a diagnostic', async () => {
    const result = await evaluateSource(
      'deep',
      `values:\n  x: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`,
      options(),
    )
    assert.equal(result.diags[0]?.summary, 'the document is nested too deeply')
  })

  it('round-trips the ciphertext envelope and rejects a corrupted one', () => {
    const sealed = encodeCiphertext(Buffer.from('0123456789abcdef'))
    assert.deepEqual(Buffer.from(decodeCiphertext(sealed)).toString(), '0123456789abcdef')
    const corrupt = Buffer.from(sealed, 'base64')
    corrupt[9] = (corrupt[9] as number) ^ 1
    assert.throws(() => decodeCiphertext(corrupt.toString('base64')), /invalid checksum/)
    assert.throws(() => decodeCiphertext('ZXNjeA=='), /EOF/)
  })
})
