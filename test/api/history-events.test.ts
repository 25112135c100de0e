// `pulumi stack history events <update-id> [--event-type N]… [--urn U] [--include-non-activated] [--all]`,
// replayed as the CLI makes it: client.go :: GetUpdateEngineEvents (url.Values.Encode: keys sorted, `type`
// repeated per flag) and stack_history_events.go :: iterateEngineEvents (follows continuationToken until null).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { before, describe, it } from 'node:test'
import { assertApiError } from '../support/assert-api-error.js'
import type { CliClient } from '../support/cli-client.js'
import { useTestServer } from '../support/test-server.js'
import { complete, createAndStart, type RunningUpdate, sendEvents } from '../support/update-driver.js'
import { createStack } from '../support/update-uploads.js'

type EngineEvent = Record<string, unknown> & { sequence: number }
interface EventsPage {
  events: EngineEvent[]
  continuationToken: string | null
}

/** url.Values.Encode: keys sorted, each value query-escaped (space as +). */
function goQuery(params: [string, string][]): string {
  const queryEscape = (s: string) =>
    encodeURIComponent(s)
      .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
      .replace(/%20/g, '+')
  return [...params]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => `${queryEscape(k)}=${queryEscape(v)}`)
    .join('&')
}

async function eventsPage(cli: CliClient, update: RunningUpdate, params: [string, string][]) {
  const query = goQuery(params)
  const path = `${update.path}/events${query ? `?${query}` : ''}`
  return (await cli.call<EventsPage>('GET', path, { command: 'stack-history-events' })).body
}

/** `--all`: every page, following the token until null. */
async function allEvents(cli: CliClient, update: RunningUpdate, params: [string, string][]) {
  const events: EngineEvent[] = []
  let token: string | null = null
  let pages = 0
  do {
    const page = await eventsPage(
      cli,
      update,
      token === null ? params : [...params, ['continuationToken', token]],
    )
    events.push(...page.events)
    token = page.continuationToken
    pages++
    assert.ok(pages < 100, 'paging must end')
  } while (token !== null)
  return { events, pages }
}

function fixtureStream(name: string): EngineEvent[] {
  return readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as EngineEvent)
    .filter((event) => event.cancelEvent === undefined) // state.go never sends the final CancelEvent
}

const payloadOf = (event: EngineEvent) =>
  Object.keys(event).find((k) => k !== 'sequence' && k !== 'timestamp')
const sequences = (events: EngineEvent[]) => events.map((e) => e.sequence)

describe('stack history events filters', () => {
  let cli: CliClient
  let update: RunningUpdate
  let stream: EngineEvent[]
  const nodes = 'urn:pulumi:dev::aws-ts-eks::eks:index:Cluster$aws:cloudformation/stack:Stack::cluster-nodes'

  useTestServer({}, (started) => {
    cli = started.client
  })

  before(async () => {
    const stack = { org: 'acme', project: 'web', stack: 'events' }
    await createStack(cli, stack)
    update = await createAndStart(cli, stack)
    const real = fixtureStream('not-truncated-template-body')
    const failed = fixtureStream('not-truncated-failed-stacks-dont-rewrite-operations')
      .filter((e) => e.preludeEvent === undefined && e.summaryEvent === undefined)
      .map((e, i) => ({ ...e, sequence: 1000 + i }))
    const extra: EngineEvent[] = [
      {
        sequence: 2000,
        timestamp: 1,
        diagnosticEvent: { urn: nodes, message: 'slow', color: 'raw', severity: 'warning' },
      },
      {
        sequence: 2001,
        timestamp: 1,
        diagnosticEvent: { message: 'global', color: 'raw', severity: 'info' },
      },
      { sequence: 2002, timestamp: 1, stdoutEvent: { message: 'hello', color: 'raw' } },
      {
        sequence: 2003,
        timestamp: 1,
        policyEvent: {
          resourceUrn: nodes,
          message: 'm',
          color: 'raw',
          policyName: 'p',
          policyPackName: 'pp',
          policyPackVersion: '1',
          policyPackVersionTag: '1',
          enforcementLevel: 'advisory',
        },
      },
    ]
    stream = [...real, ...failed, ...extra]
    for (let i = 0; i < stream.length; i += 50) await sendEvents(cli, update, stream.slice(i, i + 50))
    await complete(cli, update)
  })

  it('returns every event when no filter is given', async () => {
    const { events } = await allEvents(cli, update, [])
    assert.deepEqual(events, stream)
  })

  it('filters by engine event type, as a code or as the payload name, repeated flags adding types', async () => {
    const ofTypes = (...types: string[]) => stream.filter((e) => types.includes(payloadOf(e) ?? ''))
    const diagnostics = await allEvents(cli, update, [['type', '2']])
    assert.deepEqual(diagnostics.events, ofTypes('diagnosticEvent'))
    assert.equal(diagnostics.events.length, 2)
    assert.deepEqual(
      (await allEvents(cli, update, [['type', 'diagnosticEvent']])).events,
      ofTypes('diagnosticEvent'),
    )
    const steps = await allEvents(cli, update, [
      ['type', '5'],
      ['type', '7'],
    ])
    assert.deepEqual(steps.events, ofTypes('resourcePreEvent', 'resOpFailedEvent'))
    assert.ok(steps.events.some((e) => e.resOpFailedEvent !== undefined))
    assert.deepEqual((await allEvents(cli, update, [['type', '16']])).events, [], 'no errorEvent was sent')
  })

  it('filters by resource URN across step, diagnostic and policy events', async () => {
    const { events } = await allEvents(cli, update, [['urn', nodes]])
    assert.deepEqual(events.map(payloadOf), [
      'resourcePreEvent',
      'resOutputsEvent',
      'resourcePreEvent',
      'resOutputsEvent',
      'diagnosticEvent',
      'policyEvent',
    ])
    assert.deepEqual(
      sequences(events),
      sequences(stream).filter((s) => events.some((e) => e.sequence === s)),
    )
    const stepsOnly = await allEvents(cli, update, [
      ['type', 'resOutputsEvent'],
      ['urn', nodes],
    ])
    assert.deepEqual(stepsOnly.events.map(payloadOf), ['resOutputsEvent', 'resOutputsEvent'])
    assert.deepEqual((await allEvents(cli, update, [['urn', 'urn:pulumi:dev::x::y:z:W::none']])).events, [])
  })

  it('accepts include_non_activated=true: every stored event is activated', async () => {
    const withFlag = await allEvents(cli, update, [
      ['include_non_activated', 'true'],
      ['type', '2'],
    ])
    assert.deepEqual(withFlag.events, (await allEvents(cli, update, [['type', '2']])).events)
  })

  it('refuses malformed filters and tokens with a 400', async () => {
    for (const params of [
      [['type', '17']],
      [['type', 'bogusEvent']],
      [['type', '-1']],
      [['include_non_activated', 'maybe']],
      [['continuationToken', 'abc']],
      [['continuationToken', '1e20']],
    ] as [string, string][][]) {
      await assertApiError(cli.call('GET', `${update.path}/events?${goQuery(params)}`), 400)
    }
  })
})

describe('stack history events paging with filters', () => {
  let cli: CliClient
  useTestServer({}, (started) => {
    cli = started.client
  })

  async function updateWith(name: string, events: EngineEvent[]) {
    const stack = { org: 'acme', project: 'web', stack: name }
    await createStack(cli, stack)
    const update = await createAndStart(cli, stack)
    for (let i = 0; i < events.length; i += 1000) await sendEvents(cli, update, events.slice(i, i + 1000))
    await complete(cli, update)
    return update
  }
  const stdout = (sequence: number): EngineEvent => ({
    sequence,
    timestamp: 1,
    stdoutEvent: { message: `m${sequence}`, color: 'raw' },
  })
  const diagnostic = (sequence: number): EngineEvent => ({
    sequence,
    timestamp: 1,
    diagnosticEvent: { message: `d${sequence}`, color: 'raw', severity: 'info' },
  })

  it('pages a filtered stream of more than one page without repeating or skipping an event', async () => {
    const events = Array.from({ length: 2600 }, (_, i) => (i % 2 === 0 ? stdout(i) : diagnostic(i)))
    const update = await updateWith('paging', events)
    const first = await eventsPage(cli, update, [['type', '2']])
    assert.equal(first.events.length, 1000)
    assert.equal(typeof first.continuationToken, 'string')
    const { events: all, pages } = await allEvents(cli, update, [['type', '2']])
    assert.equal(pages, 2)
    assert.deepEqual(sequences(all), sequences(events.filter((e) => e.diagnosticEvent !== undefined)))
  })

  it('answers a filter that matches nothing for a long stretch with short pages and a token to go on', async () => {
    const events = [...Array.from({ length: 24_000 }, (_, i) => stdout(i)), diagnostic(24_000)]
    const update = await updateWith('sparse', events)
    const first = await eventsPage(cli, update, [['type', '2']])
    assert.deepEqual(first.events, [], 'the first page stops looking before it finds the match')
    assert.notEqual(first.continuationToken, null, 'but tells the CLI to go on')
    const { events: all } = await allEvents(cli, update, [['type', '2']])
    assert.deepEqual(sequences(all), [24_000])
  })
})
