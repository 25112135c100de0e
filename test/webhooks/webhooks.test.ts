import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { assertApiError } from '../support/assert-api-error.js'
import type { CliClient } from '../support/cli-client.js'
import { type TestServer, useTestServer } from '../support/test-server.js'
import { complete, createAndStart, createEntries, sendJournal } from '../support/update-driver.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'

const SECRET = 'shh-its-a-secret'
const ALLOW = [
  '-webhook-allow-private',
  '-webhook-retry-delay=50ms',
  '-webhook-timeout=500ms',
  '-webhook-poll-interval=20ms',
]

async function runUpdate(
  cli: CliClient,
  stack: { org: string; project: string; stack: string },
  kind: 'update' | 'preview' | 'refresh' | 'destroy',
  status: 'succeeded' | 'failed',
) {
  const update = await createAndStart(cli, stack, { kind, dryRun: kind === 'preview' })
  if (kind === 'update' && update.journalVersion === 1)
    await sendJournal(cli, update, createEntries(stack, 1))
  await complete(cli, update, status)
}

describe('webhooks: CLI request shapes and every event kind', () => {
  let server: TestServer
  let cli: CliClient
  const receiver = new WebhookReceiver(SECRET)
  before(() => receiver.start())
  after(() => receiver.close())
  useTestServer({ args: ALLOW }, (started) => {
    server = started
    cli = started.client
  })

  it('creates an org webhook as `pulumi org webhook new` does, and never returns the secret', async () => {
    const created = await cli.call<Record<string, unknown>>('POST', '/api/orgs/acme/hooks', {
      body: {
        organizationName: 'acme',
        displayName: 'all events',
        payloadUrl: receiver.url,
        active: true,
        secret: SECRET,
      },
    })
    assert.equal(created.status, 201)
    assert.equal(created.body.organizationName, 'acme')
    assert.equal(created.body.hasSecret, true)
    assert.equal(created.body.format, 'raw')
    assert.equal('secret' in created.body, false)
    assert.match(String(created.body.name), /^[0-9a-f]{8}$/)
    const listed = await cli.call<Record<string, unknown>[]>('GET', '/api/orgs/acme/hooks')
    assert.equal(listed.body.length, 1)
    assert.equal(JSON.stringify(listed.body).includes(SECRET), false)
  })

  it('delivers every stack event once, signed, with the Cloud headers and payloads', async () => {
    const stack = { org: 'acme', project: 'web', stack: 'dev' }
    await cli.call('POST', '/api/stacks/acme/web', { body: { stackName: 'dev' } })
    await runUpdate(cli, stack, 'update', 'succeeded')
    await runUpdate(cli, stack, 'update', 'failed')
    await runUpdate(cli, stack, 'preview', 'succeeded')
    await runUpdate(cli, stack, 'preview', 'failed')
    await runUpdate(cli, stack, 'refresh', 'succeeded')
    await runUpdate(cli, stack, 'refresh', 'failed')
    await runUpdate(cli, stack, 'destroy', 'failed')
    await runUpdate(cli, stack, 'destroy', 'succeeded')
    await cli.call('DELETE', '/api/stacks/acme/web/dev?force=true')
    await receiver.waitFor(10)
    // Give a stray duplicate the chance to show up before counting.
    await new Promise((resolve) => setTimeout(resolve, 200))
    const seen = receiver.received.map((r) => {
      const json = r.json
      if (json.action) return `stack_${json.action}`
      return `${json.isPreview ? 'preview' : json.kind}_${json.result}`
    })
    assert.deepEqual([...seen].sort(), [
      'destroy_failed',
      'destroy_succeeded',
      'preview_failed',
      'preview_succeeded',
      'refresh_failed',
      'refresh_succeeded',
      'stack_created',
      'stack_deleted',
      'update_failed',
      'update_succeeded',
    ])
    for (const r of receiver.received) {
      assert.equal(r.signatureValid, true)
      assert.ok(r.headers['pulumi-webhook-id'])
      const kind = r.headers['pulumi-webhook-kind']
      if (r.json.action) assert.equal(kind, 'stack')
      else assert.equal(kind, r.json.isPreview ? 'stack_preview' : 'stack_update')
      assert.deepEqual(r.json.organization, { name: 'acme', githubLogin: 'acme', avatarUrl: '' })
      assert.equal(r.json.projectName, 'web')
      assert.equal(r.json.stackName, 'dev')
    }
    const first = receiver.received.find(
      (r) => r.json.kind === 'update' && r.json.result === 'succeeded' && !r.json.isPreview,
    )
    assert.deepEqual(first?.json.user, { name: 'alice', githubLogin: 'alice', avatarUrl: '' })
    assert.match(String(first?.json.updateUrl), /\/api\/stacks\/acme\/web\/dev\/updates\/1$/)
  })

  it('filters by event and group; a stack webhook made as `pulumi stack webhook new` sends', async () => {
    const [orgHook] = (await cli.call<{ name: string }[]>('GET', '/api/orgs/acme/hooks')).body
    const removed = await cli.call('DELETE', `/api/orgs/acme/hooks/${orgHook?.name}`)
    assert.equal(removed.status, 200)
    await cli.call('POST', '/api/stacks/acme/web', { body: { stackName: 'prod' } })
    receiver.received.length = 0
    const hook = await cli.call<Record<string, unknown>>('POST', '/api/stacks/acme/web/prod/hooks', {
      body: {
        organizationName: 'acme',
        projectName: 'web',
        stackName: 'prod',
        displayName: 'failures',
        payloadUrl: receiver.url,
        active: true,
        format: 'slack',
        filters: ['update_failed'],
      },
    })
    assert.equal(hook.body.projectName, 'web')
    assert.equal(hook.body.hasSecret, false)
    const stack = { org: 'acme', project: 'web', stack: 'prod' }
    await runUpdate(cli, stack, 'update', 'succeeded')
    await runUpdate(cli, stack, 'update', 'failed')
    await receiver.waitFor(1)
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.equal(receiver.received.length, 1)
    const [only] = receiver.received
    assert.equal(only?.signatureValid, undefined, 'no secret, no signature')
    assert.match(String(only?.json.text), /Update of acme\/web\/prod failed/)
  })

  it('edits as `pulumi stack webhook edit` does: whole hook back, secret kept, then cleared', async () => {
    const [hook] = (await cli.call<Record<string, unknown>[]>('GET', '/api/stacks/acme/web/prod/hooks')).body
    const name = String(hook?.name)
    const withSecret = await cli.call<Record<string, unknown>>(
      'PATCH',
      `/api/stacks/acme/web/prod/hooks/${name}`,
      {
        body: { ...hook, secret: 'new-secret' },
      },
    )
    assert.equal(withSecret.body.hasSecret, true)
    const kept = await cli.call<Record<string, unknown>>('PATCH', `/api/stacks/acme/web/prod/hooks/${name}`, {
      body: { ...withSecret.body, active: false },
    })
    assert.equal(kept.body.hasSecret, true)
    assert.equal(kept.body.active, false)
    const cleared = await cli.call<Record<string, unknown>>(
      'PATCH',
      `/api/stacks/acme/web/prod/hooks/${name}`,
      {
        body: { ...kept.body, secret: '__remove-secret' },
      },
    )
    assert.equal(cleared.body.hasSecret, false)
  })

  it('refuses bad input with 4xx and stores nothing', async () => {
    await assertApiError(
      cli.call('POST', '/api/orgs/acme/hooks', { body: { payloadUrl: 'file:///etc/passwd' } }),
      400,
      /http or https/,
    )
    await assertApiError(
      cli.call('POST', '/api/orgs/acme/hooks', {
        body: { payloadUrl: receiver.url, format: 'carrier_pigeon' },
      }),
      400,
      /format/,
    )
    await assertApiError(
      cli.call('POST', '/api/orgs/acme/hooks', { body: { payloadUrl: receiver.url, filters: ['nope'] } }),
      400,
      /filter 'nope'/,
    )
    await assertApiError(
      cli.call('POST', '/api/orgs/acme/hooks', {
        body: { organizationName: 'other', payloadUrl: receiver.url },
      }),
      400,
      /does not match/,
    )
    await assertApiError(
      cli.call('POST', '/api/orgs/nobody/hooks', { body: { payloadUrl: receiver.url } }),
      404,
    )
    await assertApiError(cli.call('GET', '/api/orgs/acme/hooks/missing'), 404, /webhook 'missing'/)
    await cli.call('POST', '/api/orgs/acme/hooks', { body: { name: 'dup', payloadUrl: receiver.url } })
    await assertApiError(
      cli.call('POST', '/api/orgs/acme/hooks', { body: { name: 'dup', payloadUrl: receiver.url } }),
      409,
    )
    const listed = await cli.call<unknown[]>('GET', '/api/orgs/acme/hooks')
    assert.equal(listed.body.length, 1)
  })

  it('pings, lists deliveries, and redelivers the same payload', async () => {
    receiver.received.length = 0
    const ping = await cli.call<Record<string, unknown>>('POST', '/api/orgs/acme/hooks/dup/ping')
    assert.equal(ping.body.responseCode, 200)
    assert.equal(ping.body.responseBody, 'thanks')
    assert.equal(receiver.received.length, 1)
    const [stackHook] = (await cli.call<{ name: string }[]>('GET', '/api/stacks/acme/web/prod/hooks')).body
    const hookPath = `/api/stacks/acme/web/prod/hooks/${stackHook?.name}`
    const deliveries = await cli.call<{ id: string; payload: string; responseCode: number }[]>(
      'GET',
      `${hookPath}/deliveries`,
    )
    assert.equal(deliveries.body.length, 1)
    const original = deliveries.body[0]
    const redelivered = await cli.call<{ id: string; payload: string }>(
      'POST',
      `${hookPath}/deliveries/${original?.id}/redeliver`,
    )
    assert.equal(redelivered.body.id, original?.id)
    assert.equal(redelivered.body.payload, original?.payload)
    await receiver.waitFor(2)
    assert.equal(receiver.received[1]?.body, original?.payload)
    assert.equal(receiver.received[1]?.headers['pulumi-webhook-id'], original?.id)
    await assertApiError(cli.call('POST', `${hookPath}/deliveries/nope/redeliver`), 404)
    assert.ok(server)
  })
  it('keeps the newest 100 deliveries of a hook', async () => {
    for (let i = 0; i < 105; i++) await cli.call('POST', '/api/orgs/acme/hooks/dup/ping')
    const listed = await cli.call<{ id: string }[]>('GET', '/api/orgs/acme/hooks/dup/deliveries')
    assert.equal(listed.body.length, 100)
    const oldest = listed.body.at(-1)
    const again = await cli.call<{ id: string }>(
      'POST',
      `/api/orgs/acme/hooks/dup/deliveries/${oldest?.id}/redeliver`,
    )
    assert.equal(again.body.id, oldest?.id)
  })
})

describe('webhooks: retries, timeouts and crash safety', () => {
  const receiver = new WebhookReceiver()
  before(() => receiver.start())
  after(() => receiver.close())
  let cli: CliClient
  useTestServer({ args: ALLOW }, (started) => {
    cli = started.client
  })

  it('retries after 500s and timeouts with backoff until delivered, recording each attempt', async () => {
    receiver.script.push('fail', 'hang', 'fail')
    await cli.call('POST', '/api/orgs/acme/hooks', { body: { name: 'flaky', payloadUrl: receiver.url } })
    await cli.call('POST', '/api/stacks/acme/web', { body: { stackName: 'dev' } })
    await receiver.waitFor(3)
    const deliveries = await waitForDeliveries(cli, '/api/orgs/acme/hooks/flaky', 4)
    const codes = deliveries.map((d) => d.responseCode).reverse()
    assert.deepEqual(codes, [500, 0, 500, 200])
    assert.match(deliveries.find((d) => d.responseCode === 0)?.responseBody ?? '', /no answer/)
    assert.equal(new Set(deliveries.map((d) => d.id)).size, 1, 'every attempt is the same event')
  })
})

describe('webhooks: private targets', () => {
  const receiver = new WebhookReceiver()
  before(() => receiver.start())
  after(() => receiver.close())
  let cli: CliClient
  useTestServer(
    { args: ['-webhook-retry-delay=50ms', '-webhook-max-attempts=2', '-webhook-poll-interval=20ms'] },
    (started) => {
      cli = started.client
    },
  )

  it('refuses loopback, private and link-local targets without -webhook-allow-private', async () => {
    await cli.call('POST', '/api/orgs/acme/hooks', { body: { name: 'local', payloadUrl: receiver.url } })
    const ping = await cli.call<{ responseCode: number; responseBody: string }>(
      'POST',
      '/api/orgs/acme/hooks/local/ping',
    )
    assert.equal(ping.body.responseCode, 0)
    assert.match(ping.body.responseBody, /refused: .*127\.0\.0\.1.*-webhook-allow-private/)
    await cli.call('POST', '/api/orgs/acme/hooks', {
      body: { name: 'meta', payloadUrl: 'http://169.254.169.254/latest' },
    })
    const meta = await cli.call<{ responseBody: string }>('POST', '/api/orgs/acme/hooks/meta/ping')
    assert.match(meta.body.responseBody, /refused/)
    await cli.call('POST', '/api/orgs/acme/hooks', {
      body: { name: 'byname', payloadUrl: `http://localhost:${new URL(receiver.url).port}/hook` },
    })
    const byName = await cli.call<{ responseBody: string }>('POST', '/api/orgs/acme/hooks/byname/ping')
    assert.match(byName.body.responseBody, /refused: localhost resolves to/)
    await cli.call('POST', '/api/stacks/acme/web', { body: { stackName: 'dev' } })
    await waitForDeliveries(cli, '/api/orgs/acme/hooks/local', 3)
    assert.equal(receiver.received.length, 0)
  })
})

async function waitForDeliveries(cli: CliClient, hookPath: string, count: number) {
  for (let i = 0; i < 200; i++) {
    const listed = await cli.call<{ id: string; responseCode: number; responseBody: string }[]>(
      'GET',
      `${hookPath}/deliveries`,
    )
    if (listed.body.length >= count) return listed.body
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`${hookPath}: fewer than ${count} deliveries`)
}
