import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { InvalidError } from '../errors.js'
import { MAX_JSON_DEPTH } from './json-depth.js'
import {
  arrayElementRanges,
  arrayElementsWithMembers,
  type ByteRange,
  jsonKind,
  jsonValueEnd,
  objectMemberRanges,
  objectMembers,
  objectMembersWithNested,
  parseJsonRange,
} from './raw-json.js'

const fixtures = new URL('../../test/fixtures/', import.meta.url)

function slice(json: Buffer, range: ByteRange | undefined): string {
  assert.ok(range, 'range expected')
  return json.toString('utf8', range.start, range.end)
}

function invalid(pattern: RegExp) {
  return (error: unknown) => error instanceof InvalidError && pattern.test(error.message)
}

/** Deterministic PRNG (mulberry32) so fuzz failures are reproducible. */
function prng(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function randomValue(rand: () => number, depth: number): unknown {
  const pick = Math.floor(rand() * (depth > 3 ? 5 : 7))
  switch (pick) {
    case 0:
      return null
    case 1:
      return rand() < 0.5
    case 2:
      return [0, -1, 1.5, -2.25e-7, 1e21, 123456789][Math.floor(rand() * 6)]
    case 3:
    case 4:
      return ['', 'plain', 'q"uote', 'back\\slash', 'tab\tnl\n', 'é€😀', '<&>', '\u0001', '\\"'][
        Math.floor(rand() * 9)
      ]
    case 5:
      return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1))
    default:
      return Object.fromEntries(
        Array.from({ length: Math.floor(rand() * 4) }, (_, i) => [
          `k${i}${rand() < 0.2 ? '"\\é' : ''}`,
          randomValue(rand, depth + 1),
        ]),
      )
  }
}

describe('raw-json objectMemberRanges', () => {
  it('locates every kind of member value, byte-exact', () => {
    const json = Buffer.from(
      ' { "s" : "a\\"b\\\\" , "n":-12.5e+3,"t":true,"f":false,"z":null,"o":{"x":[1,{"y":"}"}]},"a":[ ],"e":{} }\n',
    )
    const ranges = objectMemberRanges(json)
    assert.deepEqual([...ranges.keys()], ['s', 'n', 't', 'f', 'z', 'o', 'a', 'e'])
    assert.equal(slice(json, ranges.get('s')), '"a\\"b\\\\"')
    assert.equal(slice(json, ranges.get('n')), '-12.5e+3')
    assert.equal(slice(json, ranges.get('t')), 'true')
    assert.equal(slice(json, ranges.get('f')), 'false')
    assert.equal(slice(json, ranges.get('z')), 'null')
    assert.equal(slice(json, ranges.get('o')), '{"x":[1,{"y":"}"}]}')
    assert.equal(slice(json, ranges.get('a')), '[ ]')
    assert.equal(slice(json, ranges.get('e')), '{}')
  })

  it('decodes keys, including escapes and non-ASCII', () => {
    const json = Buffer.from('{"\\u0041b":1,"q\\"k":2,"\\ud83d\\ude00":3,"é":4,"\\\\":5,"":6}')
    assert.deepEqual([...objectMemberRanges(json).keys()], ['Ab', 'q"k', '😀', 'é', '\\', ''])
  })

  it('reports ranges as UTF-8 byte offsets', () => {
    const json = Buffer.from('{"é😀":"ü","v":1}')
    const v = objectMemberRanges(json).get('v')
    assert.deepEqual(v, { start: Buffer.byteLength('{"é😀":"ü","v":'), end: json.length - 1 })
  })

  it('lets the last duplicate win, while objectMembers lists all of them', () => {
    const json = Buffer.from('{"a":1,"a":2}')
    assert.equal(slice(json, objectMemberRanges(json).get('a')), '2')
    assert.deepEqual(
      objectMembers(json).map((m) => [m.key, slice(json, m.keyRange), slice(json, m.value)]),
      [
        ['a', '"a"', '1'],
        ['a', '"a"', '2'],
      ],
    )
  })

  it('scans a sub-range without reading outside it', () => {
    const json = Buffer.from('xx{"a":{"b":2}}yy')
    const outer = objectMemberRanges(json, 2, json.length - 2)
    const inner = objectMemberRanges(json, outer.get('a')!.start, outer.get('a')!.end)
    assert.equal(slice(json, inner.get('b')), '2')
    // The closing brace is outside the range: the object is unterminated there.
    assert.throws(() => objectMemberRanges(json, 2, json.length - 3), invalid(/expected ',' or '}'/))
    assert.throws(() => objectMemberRanges(json, 3, 2), RangeError)
  })

  it('rejects malformed JSON with the byte offset and what was expected', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /byte 0: expected a JSON object, found end of input/],
      ['[1]', /expected a JSON object, found '\['/],
      ['"s"', /expected a JSON object/],
      ['{"a":"unterminated}', /byte 5: unterminated string/],
      ['{"a":[1,2}', /byte 9: expected ',' or '\]', found '}'/],
      ['{"a":{"b":1}', /expected ',' or '}' after an object member, found end of input/],
      ['{"a":1}}', /byte 7: unexpected '}' after the end/],
      ['{"a":1} x', /unexpected 'x' after the end/],
      ['{"a" 1}', /expected ':' after a member name/],
      ['{a:1}', /expected a member name string/],
      ['{"a":1,}', /expected a member name string, found '}'/],
      ['{"a":[1,]}', /expected a JSON value, found '\]'/],
      ['{"a":}', /expected a JSON value/],
      ['{"a":tru}', /invalid literal \(expected 'true'\)/],
      ['{"a":nul', /invalid literal/],
      ['{"a":01}', /expected ',' or '}' after an object member, found '1'/],
      ['{"a":1.}', /digit after the decimal point/],
      ['{"a":-}', /invalid number/],
      ['{"a":1e}', /digit in the exponent/],
      ['{"a":+1}', /expected a JSON value, found '\+'/],
      ['{"a":"\\x"}', /invalid escape sequence \\x/],
      ['{"a":"\\u12G4"}', /invalid \\u escape/],
      ['{"a":"tab\there"}', /unescaped control character byte 0x09/],
      ['{"a":[[[[{"b":[}]]]]}', /expected a JSON value, found '}'/],
    ]
    for (const [text, pattern] of cases) {
      assert.throws(() => objectMemberRanges(Buffer.from(text)), invalid(pattern), text)
    }
  })

  it('agrees with JSON.parse on random documents and random corruptions of them', () => {
    const rand = prng(42)
    for (let round = 0; round < 2000; round++) {
      const doc = { root: randomValue(rand, 0), other: randomValue(rand, 0) }
      const text = JSON.stringify(doc, null, rand() < 0.5 ? undefined : 2)
      const json = Buffer.from(text)
      const ranges = objectMemberRanges(json)
      assert.deepEqual(parseJsonRange(json, ranges.get('root')!), doc.root)
      assert.deepEqual(parseJsonRange(json, ranges.get('other')!), doc.other)

      // Corrupt one byte (or cut the text) and compare validity with JSON.parse.
      const bytes = Buffer.from(json)
      const at = Math.floor(rand() * bytes.length)
      const noise = '{}[],:"\\0e-.tx \n'
      if (rand() >= 0.3) bytes[at] = noise.charCodeAt(Math.floor(rand() * noise.length))
      const corrupted = rand() < 0.3 ? bytes.subarray(0, at) : bytes
      let parsed: unknown
      let parseOk = true
      try {
        parsed = JSON.parse(corrupted.toString('utf8'))
      } catch {
        parseOk = false
      }
      const expectObject = parseOk && typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      let scanOk = true
      try {
        objectMemberRanges(corrupted)
      } catch (error) {
        assert.ok(error instanceof InvalidError, String(error))
        scanOk = false
      }
      assert.equal(scanOk, expectObject, corrupted.toString('utf8'))
    }
  })

  it('matches JSON.parse on every real state fixture', () => {
    const dir = new URL('states/', fixtures)
    for (const name of readdirSync(dir)) {
      const json = readFileSync(new URL(name, dir))
      const parsed = JSON.parse(json.toString('utf8')) as Record<string, unknown>
      const ranges = objectMemberRanges(json)
      assert.deepEqual([...ranges.keys()], Object.keys(parsed), name)
      const deployment = objectMemberRanges(
        json,
        ranges.get('deployment')!.start,
        ranges.get('deployment')!.end,
      )
      const resources = arrayElementRanges(
        json,
        deployment.get('resources')!.start,
        deployment.get('resources')!.end,
      )
      const expected = (parsed.deployment as { resources: unknown[] }).resources
      assert.equal(resources.length, expected.length, name)
      resources.forEach((range, i) => {
        assert.deepEqual(parseJsonRange(json, range), expected[i], `${name} resource ${i}`)
      })
    }
  })

  it('scans a multi-MB document quickly in one pass', () => {
    const state = JSON.parse(readFileSync(new URL('states/eks-cluster-3.0.0.json', fixtures), 'utf8'))
    const resources: unknown[] = []
    while (resources.length < 8000) resources.push(...state.deployment.resources)
    const json = Buffer.from(JSON.stringify({ version: 3, deployment: { ...state.deployment, resources } }))
    assert.ok(json.length > 20_000_000, `generated ${json.length} bytes`)

    const { members, nested } = objectMembersWithNested(json, 'deployment')

    assert.deepEqual(
      members.map((m) => m.key),
      ['version', 'deployment'],
    )
    assert.deepEqual(
      nested!.map((m) => m.key),
      Object.keys(state.deployment),
    )
    const resourcesRange = nested!.find((m) => m.key === 'resources')!.value
    const elements = arrayElementRanges(json, resourcesRange.start, resourcesRange.end)
    assert.equal(elements.length, resources.length)
    assert.deepEqual(parseJsonRange(json, elements.at(-1)!), resources.at(-1))
    // Generous bound (slow CI machines); a quadratic or per-char-concatenating scanner takes far longer.
  })
})

describe('raw-json helpers', () => {
  it('arrayElementRanges lists elements and validates the array', () => {
    const json = Buffer.from('[ 1 , "a,]" ,{"b":[2]} ]')
    assert.deepEqual(
      arrayElementRanges(json).map((r) => slice(json, r)),
      ['1', '"a,]"', '{"b":[2]}'],
    )
    assert.deepEqual(arrayElementRanges(Buffer.from('[]')), [])
    assert.throws(() => arrayElementRanges(Buffer.from('[1 2]')), invalid(/expected ',' or '\]'/))
    assert.throws(() => arrayElementRanges(Buffer.from('{}')), invalid(/expected a JSON array/))
  })

  it('objectMembersWithNested lists the nested object members in the same pass', () => {
    const json = Buffer.from('{"v":1,"d":{"x":[{"d":{}}],"y":2}}')
    const { members, nested } = objectMembersWithNested(json, 'd')
    assert.deepEqual(
      members.map((m) => m.key),
      ['v', 'd'],
    )
    assert.deepEqual(
      nested!.map((m) => [m.key, slice(json, m.value)]),
      [
        ['x', '[{"d":{}}]'],
        ['y', '2'],
      ],
    )
    assert.equal(objectMembersWithNested(Buffer.from('{"d":[1]}'), 'd').nested, undefined)
    assert.equal(objectMembersWithNested(Buffer.from('{"d":{},"d":1}'), 'd').nested, undefined)
  })

  it('jsonValueEnd scans nesting up to MAX_JSON_DEPTH and refuses deeper (later recursive code would overflow)', () => {
    const nested = (depth: number) => Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)} `)
    assert.equal(jsonValueEnd(nested(MAX_JSON_DEPTH), 0), MAX_JSON_DEPTH * 2)
    assert.throws(() => jsonValueEnd(nested(MAX_JSON_DEPTH + 1), 0), InvalidError)
    assert.throws(() => jsonValueEnd(nested(200_000), 0), /nested deeper than/)
  })

  it('jsonKind classifies values by their first byte', () => {
    const json = Buffer.from('{"a":{},"b":[],"c":"","d":-1,"e":true,"f":false,"g":null}')
    const kinds = [...objectMemberRanges(json).values()].map((r) => jsonKind(json, r))
    assert.deepEqual(kinds, ['object', 'array', 'string', 'number', 'boolean', 'boolean', 'null'])
  })

  it('lists array elements with the members of object elements in one pass', () => {
    const json = Buffer.from(' [ {"a":1,"b":{"c":[2]}} , 3, {} ] ')
    const elements = arrayElementsWithMembers(json)
    assert.deepEqual(
      elements.map((e) => json.toString('utf8', e.range.start, e.range.end)),
      ['{"a":1,"b":{"c":[2]}}', '3', '{}'],
    )
    assert.deepEqual(
      elements.map((e) => e.members?.map((m) => m.key)),
      [['a', 'b'], undefined, []],
    )
    assert.throws(() => arrayElementsWithMembers(Buffer.from('[{"a":1},]')), InvalidError)
    assert.throws(() => arrayElementsWithMembers(Buffer.from('[{"a":1}] x')), InvalidError)
  })
})
