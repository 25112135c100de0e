import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LruCache } from './lru.js'

describe('LruCache', () => {
  it('evicts the least recently used entry beyond its capacity', () => {
    const cache = new LruCache<string, number>(2)
    cache.set('a', 1)
    cache.set('b', 2)
    assert.equal(cache.get('a'), 1) // a is now the most recent
    cache.set('c', 3)
    assert.equal(cache.get('b'), undefined)
    assert.equal(cache.get('a'), 1)
    assert.equal(cache.get('c'), 3)
  })

  it('stays within its size budget and refuses values larger than it', () => {
    const cache = new LruCache<string, Buffer>(100, { maxSize: 10, sizeOf: (b) => b.length })
    cache.set('a', Buffer.alloc(4))
    cache.set('b', Buffer.alloc(4))
    cache.set('c', Buffer.alloc(4))
    assert.equal(cache.get('a'), undefined, 'evicted to stay within 10 bytes')
    assert.equal(cache.bytes, 8)
    cache.set('huge', Buffer.alloc(11))
    assert.equal(cache.get('huge'), undefined)
    assert.equal(cache.bytes, 8)
    cache.set('b', Buffer.alloc(1))
    assert.equal(cache.bytes, 5, 'replacing a value accounts for the new size')
  })

  it('caches nothing with capacity 0', () => {
    const cache = new LruCache<string, number>(0)
    cache.set('a', 1)
    assert.equal(cache.get('a'), undefined)
  })
})
