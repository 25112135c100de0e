// Prometheus metrics at GET /metrics (issue 12 part 2): real server, real updates, scraped over HTTP.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Clock } from '../../src/lib/clock.js'
import { CliApiError, type CliClient } from '../support/cli-client.js'
import { sample, scrape } from '../support/prometheus.js'
import { startTestServer, type TestServer, useTestServer } from '../support/test-server.js'
import {
  complete,
  createAndStart,
  createEntries,
  type RunningUpdate,
  sendEvents,
  sendJournal,
  stackPath,
} from '../support/update-driver.js'
import { createStack, patchUpdate, verbatimBody } from '../support/update-uploads.js'

const STACK_ROUTE = '/api/stacks/{orgName}/{projectName}/{stackName}'

describe('metrics', () => {
  let server: TestServer
  let cli: CliClient
  // Moved forward to expire leases without sleeping.
  let offsetMs = 0
  const clock: Clock = { now: () => Date.now() + offsetMs }
  useTestServer({ overrides: { clock } }, (started) => {
    server = started
    cli = started.client
  })

  it('counts requests by route template, CLI operation and status, with latency histograms', async () => {
    await cli.call('GET', '/api/user')
    await assert.rejects(cli.call('GET', `${stackPath({ org: 'acme', project: 'p', stack: 'missing' })}`))
    const text = await scrape(server.url)
    const ok = { method: 'GET', route: '/api/user', operation: 'getCurrentUser', status: '200' }
    assert.ok(sample(text, 'pulumi_backend_http_requests_total', ok) >= 1)
    const missing = { route: STACK_ROUTE, operation: 'getStack', status: '404' }
    assert.equal(sample(text, 'pulumi_backend_http_requests_total', missing), 1)
    const latency = { route: '/api/user', operation: 'getCurrentUser', le: '+Inf' }
    assert.ok(sample(text, 'pulumi_backend_http_request_duration_seconds_bucket', latency) >= 1)
    // Default process and runtime collectors, event-loop lag included.
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      assert.match(text, new RegExp(`^${name} `, 'm'), name)
    }
  })

  it('counts an update from start to finish, its journal bytes, stack creation, events and database time', async () => {
    const stack = { org: 'acme', project: 'metrics', stack: 'journal' }
    const before = await scrape(server.url)
    await createStack(cli, stack)
    const update = await createAndStart(cli, stack)
    const during = await scrape(server.url)
    const entries = createEntries(stack, 3)
    await sendJournal(cli, update, entries)
    await sendEvents(cli, update, [{ sequence: 1, timestamp: 1, cancelEvent: {} }])
    await complete(cli, update)
    const after = await scrape(server.url)

    const delta = (name: string, labels: Record<string, string> = {}) =>
      sample(after, name, labels) - sample(before, name, labels)
    assert.equal(delta('pulumi_backend_stack_operations_total', { operation: 'create' }), 1)
    assert.equal(delta('pulumi_backend_updates_started_total', { kind: 'update' }), 1)
    assert.equal(delta('pulumi_backend_updates_finished_total', { kind: 'update', result: 'succeeded' }), 1)
    assert.equal(
      delta('pulumi_backend_update_duration_seconds_count', { kind: 'update', status: 'succeeded' }),
      1,
    )
    assert.equal(
      sample(during, 'pulumi_backend_active_updates'),
      sample(before, 'pulumi_backend_active_updates') + 1,
    )
    assert.equal(
      sample(after, 'pulumi_backend_active_updates'),
      sample(before, 'pulumi_backend_active_updates'),
    )
    // The journal batch's decompressed size, not its gzip size on the wire.
    assert.equal(delta('pulumi_backend_checkpoint_bytes_count', { mode: 'journal' }), 1)
    const bytes = delta('pulumi_backend_checkpoint_bytes_sum', { mode: 'journal' })
    assert.equal(bytes, Buffer.byteLength(JSON.stringify({ entries })))
    assert.ok(delta('pulumi_backend_event_flush_lag_seconds_count') >= 1, 'the events were flushed')
    assert.ok(delta('pulumi_backend_db_query_duration_seconds_count', { statement: 'insert' }) >= 1)
    assert.ok(delta('pulumi_backend_db_query_duration_seconds_count', { statement: 'select' }) >= 1)
  })

  it('observes checkpoint sizes by mode, only for accepted uploads', async () => {
    const stack = { org: 'acme', project: 'metrics', stack: 'verbatim' }
    await createStack(cli, stack)
    const update = await createAndStart(cli, stack, { journal: false })
    const before = await scrape(server.url)
    const text = JSON.stringify({
      version: 3,
      deployment: { manifest: { time: '2024-01-01T00:00:00Z' }, resources: [] },
    })
    const body = verbatimBody(text, 1)
    await patchUpdate(cli, update, 'checkpointverbatim', body)
    await assert.rejects(patchUpdate(cli, update, 'checkpointverbatim', Buffer.from('{"version": 3')))
    await complete(cli, update)
    const after = await scrape(server.url)
    const labels = { mode: 'verbatim' }
    assert.equal(
      sample(after, 'pulumi_backend_checkpoint_bytes_count', labels) -
        sample(before, 'pulumi_backend_checkpoint_bytes_count', labels),
      1,
    )
    assert.equal(
      sample(after, 'pulumi_backend_checkpoint_bytes_sum', labels) -
        sample(before, 'pulumi_backend_checkpoint_bytes_sum', labels),
      body.length,
    )
  })

  it('counts a lease the server expired, and the update it failed', async () => {
    const stack = { org: 'acme', project: 'metrics', stack: 'expiry' }
    await createStack(cli, stack)
    const abandoned: RunningUpdate = await createAndStart(cli, stack)
    const before = await scrape(server.url)
    offsetMs += 60 * 60 * 1000
    // The next update on the stack finds the lapsed lease and ends the abandoned update.
    const next = await createAndStart(cli, stack)
    await complete(cli, next)
    const after = await scrape(server.url)
    assert.equal(
      sample(after, 'pulumi_backend_lease_expirations_total') -
        sample(before, 'pulumi_backend_lease_expirations_total'),
      1,
    )
    const failed = { kind: 'update', result: 'failed' }
    assert.equal(
      sample(after, 'pulumi_backend_updates_finished_total', failed) -
        sample(before, 'pulumi_backend_updates_finished_total', failed),
      1,
    )
    await assert.rejects(complete(cli, abandoned), CliApiError)
  })
})

describe('metrics across replicas', () => {
  it('reports active updates from the database, so a replica that did not start them counts them too', async () => {
    const first = await startTestServer()
    const second = await startTestServer({ dir: first.dir })
    try {
      const stack = { org: 'acme', project: 'replicas', stack: 'dev' }
      await createStack(first.client, stack)
      const update = await createAndStart(first.client, stack)
      assert.equal(sample(await scrape(second.url), 'pulumi_backend_active_updates'), 1)
      await complete(first.client, update)
      assert.equal(sample(await scrape(second.url), 'pulumi_backend_active_updates'), 0)
    } finally {
      await second.close()
      await first.close()
    }
  })
})
