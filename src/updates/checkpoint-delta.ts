// Applies the CLI's delta checkpoints (protocol §6.3/§6.4, L6 `PATCH …/checkpointdelta`) to the stored
// baseline text. The CLI computes the edits in pkg/backend/httpstate/diffs.go :: computeEdits and its own
// tests replay them with gotextdiff.ApplyEdits; offsets are UTF-8 byte offsets into the previous text.
import { InvalidError } from '../errors.js'

/** gotextdiff.TextEdit as the CLI marshals it; `uri`, `line` and `column` are dummies and ignored (§6.3). */
export interface CheckpointEdit {
  Span: { start: { offset: number }; end: { offset: number } }
  NewText: string
}

interface Splice {
  index: number
  start: number
  end: number
  text: string
  textBytes: number
}

function offsetOf(point: unknown): unknown {
  return typeof point === 'object' && point !== null ? (point as { offset?: unknown }).offset : undefined
}

/** Validates one edit's shape and range against the baseline (JSON input is untrusted despite the static type). */
function toSplice(edit: unknown, index: number, baselineLength: number): Splice {
  const span = typeof edit === 'object' && edit !== null ? (edit as { Span?: unknown }).Span : undefined
  if (typeof span !== 'object' || span === null) {
    throw new InvalidError(`checkpoint delta edit ${index}: missing "Span"`)
  }
  const start = offsetOf((span as { start?: unknown }).start)
  const end = offsetOf((span as { end?: unknown }).end)
  const text = (edit as { NewText?: unknown }).NewText
  if (!Number.isSafeInteger(start) || (start as number) < 0) {
    throw new InvalidError(`checkpoint delta edit ${index}: start offset must be a non-negative integer`)
  }
  if (!Number.isSafeInteger(end) || (end as number) < 0) {
    throw new InvalidError(`checkpoint delta edit ${index}: end offset must be a non-negative integer`)
  }
  if ((end as number) < (start as number)) {
    throw new InvalidError(
      `checkpoint delta edit ${index}: end offset ${end} is before start offset ${start}`,
    )
  }
  if ((end as number) > baselineLength) {
    throw new InvalidError(
      `checkpoint delta edit ${index}: end offset ${end} is beyond the baseline (${baselineLength} bytes)`,
    )
  }
  if (typeof text !== 'string')
    throw new InvalidError(`checkpoint delta edit ${index}: "NewText" must be a string`)
  return {
    index,
    start: start as number,
    end: end as number,
    text,
    textBytes: Buffer.byteLength(text, 'utf8'),
  }
}

/**
 * Order like gotextdiff.SortTextEdits (stable, by start then end): an insertion at the offset where a
 * replacement starts goes first. The CLI already sends them ascending, so this is normally a no-op.
 */
function compareSplices(a: Splice, b: Splice): number {
  return a.start - b.start || a.end - b.end
}

/**
 * Applies `edits` to `baseline` by byte-offset splicing (protocol §6.4 step 4) and returns the new text.
 * Overlapping edits are rejected (gotextdiff would silently produce garbage). The output is built with one
 * allocation; with no edits the baseline itself is returned (zero copy, as gotextdiff.ApplyEdits does).
 */
export function applyCheckpointDelta(baseline: Buffer, edits: readonly CheckpointEdit[]): Buffer {
  if (!Array.isArray(edits)) throw new InvalidError('checkpoint delta must be an array of edits')
  if (edits.length === 0) return baseline
  const splices = edits.map((edit, index) => toSplice(edit, index, baseline.length))
  splices.sort(compareSplices) // Array.prototype.sort is stable

  let length = baseline.length
  let last = 0
  for (const splice of splices) {
    if (splice.start < last) {
      throw new InvalidError(
        `checkpoint delta edit ${splice.index}: range [${splice.start}, ${splice.end}) overlaps a previous edit ending at ${last}`,
      )
    }
    length += splice.textBytes - (splice.end - splice.start)
    last = splice.end
  }

  const out = Buffer.allocUnsafe(length)
  let pos = 0
  last = 0
  for (const splice of splices) {
    pos += baseline.copy(out, pos, last, splice.start)
    // Writing the string directly avoids an intermediate Buffer per edit; lone surrogates become U+FFFD
    // (3 bytes) both here and in Buffer.byteLength, like Go's json.Unmarshal, so the lengths agree.
    pos += out.write(splice.text, pos, splice.textBytes, 'utf8')
    last = splice.end
  }
  pos += baseline.copy(out, pos, last)
  if (pos !== length) throw new Error(`internal error: spliced ${pos} bytes, expected ${length}`)
  return out
}
