import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ResourceV3 } from '../apitype/core.js'
import { diffStates } from './state-diff.js'

const r = (name: string, fields: Partial<ResourceV3> & { outputs?: unknown } = {}): ResourceV3 => ({
  urn: `urn:pulumi:s::p::t:m:R::${name}`,
  custom: true,
  type: 't:m:R',
  ...fields,
})

describe('diffStates', () => {
  it('finds added, removed and changed resources with property paths', () => {
    const diff = diffStates(
      [r('kept', { inputs: { size: 1, tags: { env: 'dev' } } }), r('gone'), r('same', { id: 'x' })],
      [r('kept', { inputs: { size: 2, tags: { env: 'dev' } } }), r('new'), r('same', { id: 'x' })],
    )
    assert.deepEqual(
      diff.added.map((x) => x.urn),
      ['urn:pulumi:s::p::t:m:R::new'],
    )
    assert.deepEqual(
      diff.removed.map((x) => x.urn),
      ['urn:pulumi:s::p::t:m:R::gone'],
    )
    assert.deepEqual(diff.changed, [
      {
        urn: 'urn:pulumi:s::p::t:m:R::kept',
        type: 't:m:R',
        changes: [{ path: 'inputs.size', before: 1, after: 2 }],
      },
    ])
  })

  it('reports nested, array, output and dependency changes; ignores resources pending deletion', () => {
    const diff = diffStates(
      [r('a', { outputs: { ports: [80] }, dependencies: [] }), r('d', { delete: true })],
      [r('a', { outputs: { ports: [443] }, dependencies: ['urn:x'] })],
    )
    assert.deepEqual(diff.removed, [])
    assert.deepEqual(
      diff.changed[0]?.changes.map((c) => c.path),
      ['dependencies', 'outputs.ports[0]'],
    )
  })
})
