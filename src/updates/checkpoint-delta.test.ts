import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { InvalidError } from '../errors.js'
import { sha256HexAsync } from '../lib/sha256.js'
import { applyCheckpointDelta, type CheckpointEdit } from './checkpoint-delta.js'

// The CLI's own recorded data (pkg/backend/httpstate/testdata/snapshot_test.json): req1 is the verbatim
// baseline, req2–req4 are `deploymentDelta` JSON texts with their `checkpointHash`.
const fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/checkpoints/delta-snapshot-test.json', import.meta.url), 'utf8'),
) as Record<string, string>

function edit(start: number, end: number, NewText: string): CheckpointEdit {
  // Shaped exactly as the CLI marshals gotextdiff.TextEdit (line/column are dummies).
  return {
    Span: { uri: '', start: { line: 1, column: 1, offset: start }, end: { line: 1, column: 1, offset: end } },
    NewText,
  } as CheckpointEdit
}

function rejects(index: number, pattern: RegExp) {
  return (error: unknown) =>
    error instanceof InvalidError && error.message.includes(`edit ${index}:`) && pattern.test(error.message)
}

/** Obviously-correct reference: collect the kept slices and new texts in order, then Buffer.concat. */
function naiveApply(baseline: Buffer, edits: CheckpointEdit[]): Buffer {
  const pieces: Buffer[] = []
  let last = 0
  for (const e of [...edits].sort((a, b) => a.Span.start.offset - b.Span.start.offset)) {
    pieces.push(baseline.subarray(last, e.Span.start.offset), Buffer.from(e.NewText))
    last = e.Span.end.offset
  }
  pieces.push(baseline.subarray(last))
  return Buffer.concat(pieces)
}

describe('applyCheckpointDelta', () => {
  it('replays the CLI recorded delta session: every hash matches', async () => {
    let text: Buffer = Buffer.from(fixture.req1!, 'utf8')
    assert.equal(text.length, 164)
    for (const req of ['req2', 'req3', 'req4']) {
      const edits = JSON.parse(fixture[req]!) as CheckpointEdit[]
      text = applyCheckpointDelta(text, edits)
      assert.equal(await sha256HexAsync(text), fixture[`${req}.hash`], req)
    }
    // req4 rewrote bytes 0–161 (header + the one resource); the untouched tail `]}}` follows.
    const lastEdits = JSON.parse(fixture.req4!) as CheckpointEdit[]
    assert.equal(text.toString('utf8'), `${lastEdits[0]!.NewText}]}}`)
    assert.equal(
      text.toString('utf8'),
      '{"version":4,"features":["refreshBeforeUpdate"],"deployment":{"manifest":{"time":"0001-01-01T00:00:00Z",' +
        '"magic":"","version":""},"metadata":{},"resources":[{"urn":"urn-1","custom":false,"type":"",' +
        '"refreshBeforeUpdate":true}]}}',
    )
  })

  it('intermediate texts of the recorded session are what the CLI marshalled', () => {
    const req1 = Buffer.from(fixture.req1!)
    const afterReq2 = applyCheckpointDelta(req1, JSON.parse(fixture.req2!))
    const parsed = JSON.parse(afterReq2.toString('utf8'))
    assert.deepEqual(
      parsed.deployment.resources.map((r: { urn: string }) => r.urn),
      ['urn-1', 'urn-2'],
    )
  })

  it('returns the baseline itself for an empty edit list', () => {
    const baseline = Buffer.from(fixture.req1!)
    assert.equal(applyCheckpointDelta(baseline, []), baseline)
  })

  it('treats offsets as UTF-8 byte offsets (multibyte characters)', () => {
    const baseline = Buffer.from('{"a":"é","b":"😀x"}') // é = 2 bytes, 😀 = 4 bytes
    const b = baseline.indexOf('😀')
    assert.equal(b, 15)
    const out = applyCheckpointDelta(baseline, [
      edit(6, 8, 'ü€'), // replaces exactly the two bytes of é
      edit(b, b + 4, '🎉'), // replaces exactly the four bytes of 😀
    ])
    assert.equal(out.toString('utf8'), '{"a":"ü€","b":"🎉x"}')
    // A JS-string (UTF-16) index would have been wrong here: '😀' starts at string index 14.
    assert.equal(baseline.toString('utf8').indexOf('😀'), 14)
  })

  it('writes lone surrogates as U+FFFD, with a consistent output length', () => {
    const out = applyCheckpointDelta(Buffer.from('ab'), [edit(1, 1, '\ud800')])
    assert.deepEqual(out, Buffer.from([0x61, 0xef, 0xbf, 0xbd, 0x62]))
  })

  it('sorts edits by offset (stably) and puts an insertion before a replacement at the same offset', () => {
    const baseline = Buffer.from('0123456789')
    const out = applyCheckpointDelta(baseline, [
      edit(7, 9, 'X'),
      edit(2, 4, 'Y'),
      edit(2, 2, '+'),
      edit(2, 2, '-'),
    ])
    assert.equal(out.toString(), '01+-Y456X9')
  })

  it('supports insertions at the start and the end, deletions and adjacent edits', () => {
    const baseline = Buffer.from('abcdef')
    const out = applyCheckpointDelta(baseline, [
      edit(0, 0, '<'),
      edit(1, 2, ''),
      edit(2, 3, 'C'),
      edit(6, 6, '>'),
    ])
    assert.equal(out.toString(), '<aCdef>')
  })

  it('rejects invalid offsets, naming the edit index', () => {
    const baseline = Buffer.from('0123456789')
    const cases: Array<[unknown[], number, RegExp]> = [
      [[edit(-1, 2, '')], 0, /start offset must be a non-negative integer/],
      [[edit(0, 1, ''), edit(1.5, 2, '')], 1, /start offset must be a non-negative integer/],
      [[edit(0, Number.NaN, '')], 0, /end offset must be a non-negative integer/],
      [[edit(0, '3' as unknown as number, '')], 0, /end offset must be a non-negative integer/],
      [[edit(5, 4, '')], 0, /end offset 4 is before start offset 5/],
      [[edit(0, 1, ''), edit(9, 11, '')], 1, /end offset 11 is beyond the baseline \(10 bytes\)/],
      [[edit(11, 11, '')], 0, /beyond the baseline/],
      [[edit(0, 5, 'a'), edit(3, 6, 'b')], 1, /range \[3, 6\) overlaps a previous edit ending at 5/],
      [[edit(3, 6, 'b'), edit(0, 5, 'a')], 0, /overlaps/],
      [[edit(2, 4, ''), edit(3, 3, 'x')], 1, /overlaps/],
      [[{ NewText: 'x' }], 0, /missing "Span"/],
      [[{ Span: { start: {}, end: { offset: 1 } }, NewText: 'x' }], 0, /start offset/],
      [[{ Span: { start: { offset: 0 }, end: { offset: 1 } } }], 0, /"NewText" must be a string/],
      [[null], 0, /missing "Span"/],
    ]
    for (const [edits, index, pattern] of cases) {
      assert.throws(
        () => applyCheckpointDelta(baseline, edits as CheckpointEdit[]),
        rejects(index, pattern),
        JSON.stringify(edits),
      )
    }
    assert.throws(() => applyCheckpointDelta(baseline, {} as CheckpointEdit[]), InvalidError)
  })

  it('is fast on a 10 MB baseline with hundreds of edits, and matches a naive splice', () => {
    const line = Buffer.from(
      '{"urn":"urn:pulumi:dev::p::aws:s3/bucket:Bucket::b-000000","custom":true,"id":"é"},',
    )
    const baseline = Buffer.alloc(10 * 1024 * 1024)
    for (let pos = 0; pos < baseline.length; pos += line.length) line.copy(baseline, pos)
    const edits: CheckpointEdit[] = []
    const step = Math.floor(baseline.length / 600)
    for (let i = 0; i < 600; i++) {
      const start = i * step + (i % 7)
      edits.push(edit(start, start + (i % 3) * 40, i % 2 ? `{"urn":"new-${i}","x":"ü😀"},` : ''))
    }
    const out = applyCheckpointDelta(baseline, edits)
    assert.ok(out.equals(naiveApply(baseline, edits)))
  })
})
