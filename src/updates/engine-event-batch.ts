import { InvalidError } from '../errors.js'
import { arrayElementsWithMembers, jsonKind, objectMembers, parseJsonRange } from '../lib/raw-json.js'

/** One engine event of a batch: its sequence and its exact JSON text, kept as sent (never re-serialised). */
export interface RawEngineEvent {
  sequence: number
  text: string
}

export interface ParsedEventBatch {
  events: RawEngineEvent[]
  /** `summaryEvent.resourceChanges` of the batch's summary event, when it has one (for history). */
  resourceChanges: Record<string, number> | undefined
}

/**
 * Splits an apitype.EngineEventBatch `{"events":[…]}` into its events by scanning bytes. Event batches carry
 * whole resource states (hundreds of KB per batch); parsing and re-stringifying them held the event loop for
 * tens of milliseconds, delaying the journal batches that arrive alongside. Each event must be an object with
 * an integer `sequence` ≥ 0 and an integer `timestamp` (sdk/go/common/apitype/events.go :: EngineEvent).
 */
export function parseEngineEventBatch(body: Buffer): ParsedEventBatch {
  const top = objectMembers(body)
  const eventsMember = top.findLast((m) => m.key === 'events')
  const result: ParsedEventBatch = { events: [], resourceChanges: undefined }
  if (!eventsMember || jsonKind(body, eventsMember.value) === 'null') return result
  if (jsonKind(body, eventsMember.value) !== 'array')
    throw new InvalidError('Bad Request: "events" must be a list')
  const elements = arrayElementsWithMembers(body, eventsMember.value.start, eventsMember.value.end)
  elements.forEach(({ range, members }, i) => {
    if (!members) throw new InvalidError(`Bad Request: events[${i}] must be an object`)
    let sequence: unknown
    let timestamp: unknown
    for (const member of members) {
      if (member.key === 'sequence') sequence = parseJsonRange(body, member.value)
      else if (member.key === 'timestamp') timestamp = parseJsonRange(body, member.value)
      else if (member.key === 'summaryEvent' && jsonKind(body, member.value) === 'object') {
        const summary = parseJsonRange(body, member.value) as { resourceChanges?: unknown }
        if (isCountMap(summary.resourceChanges)) result.resourceChanges = summary.resourceChanges
      }
    }
    if (!Number.isSafeInteger(sequence) || (sequence as number) < 0) {
      throw new InvalidError(`Bad Request: events[${i}].sequence must be a non-negative integer`)
    }
    if (!Number.isSafeInteger(timestamp)) {
      throw new InvalidError(`Bad Request: events[${i}].timestamp must be an integer`)
    }
    result.events.push({ sequence: sequence as number, text: body.toString('utf8', range.start, range.end) })
  })
  return result
}

function isCountMap(value: unknown): value is Record<string, number> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'number')
  )
}
