import { InvalidError } from '../errors.js'

/**
 * The payload keys of apitype.EngineEvent, in the order of its fields (sdk/go/common/apitype/events.go). Pulumi
 * Cloud filters `GET …/events` by numeric "engine event type codes" whose numbering it does not publish; this
 * server numbers the types by their position here (0 = cancelEvent) and also accepts the payload key itself, so
 * `pulumi stack history events --event-type 2` and `--event-type diagnosticEvent` ask for the same events.
 */
export const ENGINE_EVENT_TYPES = [
  'cancelEvent',
  'stdoutEvent',
  'diagnosticEvent',
  'preludeEvent',
  'summaryEvent',
  'resourcePreEvent',
  'resOutputsEvent',
  'resOpFailedEvent',
  'policyEvent',
  'policyRemediationEvent',
  'policyLoadEvent',
  'policyAnalyzeSummaryEvent',
  'policyRemediateSummaryEvent',
  'policyAnalyzeStackSummaryEvent',
  'startDebuggingEvent',
  'progressEvent',
  'errorEvent',
] as const

type EngineEventType = (typeof ENGINE_EVENT_TYPES)[number]

/** Where each payload names the resource it is about (apitype StepEventMetadata.urn, DiagnosticEvent.urn, …). */
const URN_OF: Partial<Record<EngineEventType, (payload: Record<string, unknown>) => unknown>> = {
  resourcePreEvent: (p) => asRecord(p.metadata).urn,
  resOutputsEvent: (p) => asRecord(p.metadata).urn,
  resOpFailedEvent: (p) => asRecord(p.metadata).urn,
  diagnosticEvent: (p) => p.urn,
  policyEvent: (p) => p.resourceUrn,
  policyRemediationEvent: (p) => p.resourceUrn,
  policyAnalyzeSummaryEvent: (p) => p.resourceUrn,
  policyRemediateSummaryEvent: (p) => p.resourceUrn,
}

/** The filters of `GET …/update/{id}/events` (client.go :: GetUpdateEngineEvents). */
export interface EngineEventFilter {
  /** Only events of these payload types; undefined = every type. */
  types: ReadonlySet<EngineEventType> | undefined
  /** Only events about this resource; undefined = any. */
  urn: string | undefined
}

/** True when the filter lets every event through (the reader can then page without looking at events). */
export function isUnfiltered(filter: EngineEventFilter): boolean {
  return filter.types === undefined && filter.urn === undefined
}

/**
 * Parses the query the CLI sends for `pulumi stack history events`: repeated `type`, `urn` and
 * `include_non_activated=true`. Every event this server stores is activated (it is stored only once its whole
 * batch is acknowledged), so `include_non_activated` is checked but changes nothing.
 */
export function parseEngineEventFilter(query: {
  type?: string | string[] | undefined
  urn?: string | undefined
  include_non_activated?: string | undefined
}): EngineEventFilter {
  const activated = query.include_non_activated
  if (activated !== undefined && !/^(1|t|T|true|TRUE|True|0|f|F|false|FALSE|False)$/.test(activated)) {
    throw new InvalidError(`Bad Request: include_non_activated must be true or false, got '${activated}'`)
  }
  const raw = query.type === undefined ? [] : [query.type].flat()
  const types = raw.map((value) => {
    const type = /^[0-9]+$/.test(value)
      ? ENGINE_EVENT_TYPES[Number(value)]
      : ENGINE_EVENT_TYPES.find((name) => name === value)
    if (type === undefined) {
      throw new InvalidError(
        `Bad Request: unknown engine event type '${value}'; use a code from 0 to ${ENGINE_EVENT_TYPES.length - 1} ` +
          `or a payload name (${ENGINE_EVENT_TYPES.join(', ')})`,
      )
    }
    return type
  })
  return {
    types: types.length > 0 ? new Set(types) : undefined,
    urn: query.urn === undefined || query.urn === '' ? undefined : query.urn,
  }
}

/** Whether one stored event (its JSON text) passes the filter. */
export function eventMatches(filter: EngineEventFilter, eventText: string): boolean {
  if (isUnfiltered(filter)) return true
  const event = asRecord(JSON.parse(eventText))
  const type = ENGINE_EVENT_TYPES.find((name) => event[name] !== undefined && event[name] !== null)
  if (type === undefined) return false
  if (filter.types && !filter.types.has(type)) return false
  if (filter.urn === undefined) return true
  return URN_OF[type]?.(asRecord(event[type])) === filter.urn
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {}
}
