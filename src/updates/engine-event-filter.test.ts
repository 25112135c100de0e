import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { InvalidError } from '../errors.js'
import {
  ENGINE_EVENT_TYPES,
  eventMatches,
  isUnfiltered,
  parseEngineEventFilter,
} from './engine-event-filter.js'

const URN = 'urn:pulumi:dev::web::aws:s3/bucket:Bucket::b'
const OTHER = 'urn:pulumi:dev::web::aws:s3/bucket:Bucket::c'
const event = (payload: Record<string, unknown>) => JSON.stringify({ sequence: 1, timestamp: 2, ...payload })

describe('parseEngineEventFilter', () => {
  it('is unfiltered without parameters, and with include_non_activated alone', () => {
    assert.ok(isUnfiltered(parseEngineEventFilter({})))
    for (const value of ['true', 'false', '1', '0', 't', 'F', 'TRUE', 'False']) {
      assert.ok(isUnfiltered(parseEngineEventFilter({ include_non_activated: value })), value)
    }
    assert.ok(isUnfiltered(parseEngineEventFilter({ urn: '' })))
  })

  it('takes one or repeated types as codes or payload names', () => {
    assert.deepEqual([...(parseEngineEventFilter({ type: '2' }).types ?? [])], ['diagnosticEvent'])
    assert.deepEqual(
      [...(parseEngineEventFilter({ type: ['0', 'errorEvent', '16'] }).types ?? [])],
      ['cancelEvent', 'errorEvent'],
    )
    ENGINE_EVENT_TYPES.forEach((name, code) => {
      assert.deepEqual([...(parseEngineEventFilter({ type: String(code) }).types ?? [])], [name])
    })
  })

  it('refuses unknown codes and names, and non-boolean include_non_activated', () => {
    for (const type of ['17', '-1', '1.5', '', 'DiagnosticEvent', 'diagnostic', '2 ']) {
      assert.throws(() => parseEngineEventFilter({ type }), InvalidError, JSON.stringify(type))
    }
    for (const value of ['yes', '', '2']) {
      assert.throws(() => parseEngineEventFilter({ include_non_activated: value }), InvalidError)
    }
  })
})

describe('eventMatches', () => {
  const byUrn = parseEngineEventFilter({ urn: URN })

  it('finds the resource of step, diagnostic and policy events', () => {
    const about = [
      event({ resourcePreEvent: { metadata: { urn: URN, op: 'create' } } }),
      event({ resOutputsEvent: { metadata: { urn: URN, op: 'create' } } }),
      event({ resOpFailedEvent: { metadata: { urn: URN }, status: 1, steps: 1 } }),
      event({ diagnosticEvent: { urn: URN, message: 'm', severity: 'info' } }),
      event({ policyEvent: { resourceUrn: URN, message: 'm' } }),
      event({ policyRemediationEvent: { resourceUrn: URN } }),
      event({ policyAnalyzeSummaryEvent: { resourceUrn: URN } }),
      event({ policyRemediateSummaryEvent: { resourceUrn: URN } }),
    ]
    for (const text of about) assert.ok(eventMatches(byUrn, text), text)
  })

  it('leaves out other resources and events about no resource', () => {
    const notAbout = [
      event({ resourcePreEvent: { metadata: { urn: OTHER } } }),
      event({ diagnosticEvent: { message: 'global' } }),
      event({ stdoutEvent: { message: URN } }),
      event({ summaryEvent: { resourceChanges: {} } }),
      event({ preludeEvent: { config: { x: URN } } }),
      event({ resOutputsEvent: { metadata: null } }),
      event({ diagnosticEvent: null }),
      event({}),
    ]
    for (const text of notAbout) assert.ok(!eventMatches(byUrn, text), text)
  })

  it('combines type and URN', () => {
    const filter = parseEngineEventFilter({ type: ['resOutputsEvent'], urn: URN })
    assert.ok(eventMatches(filter, event({ resOutputsEvent: { metadata: { urn: URN } } })))
    assert.ok(!eventMatches(filter, event({ resourcePreEvent: { metadata: { urn: URN } } })))
    assert.ok(!eventMatches(filter, event({ resOutputsEvent: { metadata: { urn: OTHER } } })))
  })
})
