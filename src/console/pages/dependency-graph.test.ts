import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { dependencyGraph, layersOf, ROWS_PER_COLUMN } from './dependency-graph.js'
import type { ResourceView } from './resource-tree.js'

const view = (name: string, parent = '', dependencies: string[] = []): ResourceView => ({
  urn: `urn:pulumi:s::p::t:m:R::${name}`,
  type: 't:m:R',
  id: name,
  parent: parent && `urn:pulumi:s::p::t:m:R::${parent}`,
  provider: '',
  inputs: {},
  outputs: {},
  dependencies: dependencies.map((d) => `urn:pulumi:s::p::t:m:R::${d}`),
})

describe('dependency graph', () => {
  it('draws every one of 3,000 resources, wrapping a wide layer into columns', () => {
    const resources = [view('root'), ...Array.from({ length: 3000 }, (_, i) => view(`r${i}`, 'root'))]
    const svg = dependencyGraph(resources, '/o/p/s').text
    assert.equal((svg.match(/<rect /g) ?? []).length, 3001)
    assert.equal((svg.match(/M\d+ \d+L/g) ?? []).length, 3000, 'one edge per child')
    const height = Number(/height="(\d+)"/.exec(svg)?.[1])
    assert.equal(height, 20 + ROWS_PER_COLUMN * 28)
  })

  it('layers a 3,000-long dependency chain (no recursion limit) and survives a cycle', () => {
    const chain = Array.from({ length: 3000 }, (_, i) => view(`c${i}`, '', i > 0 ? [`c${i - 1}`] : []))
    const layers = layersOf([...chain].reverse())
    assert.equal(layers.length, 3000)
    assert.equal(layers[2999]?.[0]?.id, 'c2999')
    const cycle = layersOf([view('a', '', ['b']), view('b', '', ['a'])])
    assert.equal(cycle.flat().length, 2)
  })
})
