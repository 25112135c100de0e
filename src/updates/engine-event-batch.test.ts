import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { InvalidError } from '../errors.js'
import { parseEngineEventBatch } from './engine-event-batch.js'

const batch = (value: unknown) => Buffer.from(JSON.stringify(value))

describe('parseEngineEventBatch', () => {
  it('keeps each event byte for byte, with its sequence', () => {
    // A real event stream as the CLI sends it (pkg/backend/display/testdata).
    const lines = readFileSync(
      new URL('../../test/fixtures/events/not-truncated-up-2.json', import.meta.url),
      'utf8',
    )
      .split('\n')
      .filter((line) => line.trim() !== '')
    const body = Buffer.from(`{"events":[${lines.join(',')}]}`)
    const parsed = parseEngineEventBatch(body)
    assert.equal(parsed.events.length, lines.length)
    parsed.events.forEach((event, i) => {
      assert.equal(event.text, lines[i]?.trim())
      assert.equal(event.sequence, (JSON.parse(lines[i] ?? '{}') as { sequence: number }).sequence)
    })
  })

  it('extracts the summary event resource changes', () => {
    const parsed = parseEngineEventBatch(
      batch({
        events: [{ sequence: 3, timestamp: 1, summaryEvent: { resourceChanges: { create: 2, same: 1 } } }],
      }),
    )
    assert.deepEqual(parsed.resourceChanges, { create: 2, same: 1 })
  })

  it('accepts an empty or null list', () => {
    assert.deepEqual(parseEngineEventBatch(batch({ events: [] })).events, [])
    assert.deepEqual(parseEngineEventBatch(batch({ events: null })).events, [])
    assert.deepEqual(parseEngineEventBatch(batch({})).events, [])
  })

  it('rejects malformed batches with a clear error', () => {
    const bad = [
      { events: {} },
      { events: [1] },
      { events: [{ timestamp: 1 }] },
      { events: [{ sequence: -1, timestamp: 1 }] },
      { events: [{ sequence: 1.5, timestamp: 1 }] },
      { events: [{ sequence: 1 }] },
    ]
    for (const value of bad) assert.throws(() => parseEngineEventBatch(batch(value)), InvalidError)
    assert.throws(() => parseEngineEventBatch(Buffer.from('{"events":[')), InvalidError)
  })
})
