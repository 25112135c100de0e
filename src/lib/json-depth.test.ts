import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from './json-depth.js'

const nested = (depth: number) => Buffer.from(`${'[{"a":'.repeat(depth / 2)}1${'}]'.repeat(depth / 2)}`)

describe('jsonNestsDeeperThan', () => {
  it('counts arrays and objects up to the limit', () => {
    assert.equal(jsonNestsDeeperThan(nested(MAX_JSON_DEPTH)), false)
    assert.equal(jsonNestsDeeperThan(nested(MAX_JSON_DEPTH + 2)), true)
    assert.equal(jsonNestsDeeperThan(Buffer.from('[[[]]]'), 3), false)
    assert.equal(jsonNestsDeeperThan(Buffer.from('[[[[]]]]'), 3), true)
  })

  it('ignores brackets inside strings, escaped quotes included', () => {
    assert.equal(jsonNestsDeeperThan(Buffer.from('["[[[[", "\\"[[[[", {"{{{{":"}"}]'), 2), false)
    assert.equal(jsonNestsDeeperThan(Buffer.from('["\\\\", [[]]]'), 2), true)
  })

  it('a document at the limit survives the recursive code that follows', () => {
    const value = JSON.parse(nested(MAX_JSON_DEPTH).toString())
    assert.ok(JSON.stringify(value).length > MAX_JSON_DEPTH)
    assert.ok(structuredClone(value))
  })
})
