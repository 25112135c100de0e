// ESC environment webhooks: the Cloud's routes under /api/esc/environments/{org}/{project}/{env}/hooks, and the
// environment events queued in the transaction of the change (created/deleted to organization hooks only).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { assertApiError } from '../support/assert-api-error.js'
import type { CliClient } from '../support/cli-client.js'
import { useTestServer } from '../support/test-server.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'

const SECRET = 'env-hook-secret'
const ENVS = '/api/esc/environments/acme'

describe('webhooks: ESC environments', () => {
  let cli: CliClient
  const orgReceiver = new WebhookReceiver(SECRET)
  const envReceiver = new WebhookReceiver(SECRET)
  before(async () => {
    await orgReceiver.start()
    await envReceiver.start()
  })
  after(async () => {
    await orgReceiver.close()
    await envReceiver.close()
  })
  useTestServer({ args: ['-webhook-allow-private', '-webhook-poll-interval=20ms'] }, (started) => {
    cli = started.client
  })

  it('sends environment events to organization hooks (group environments) and the environment own hooks', async () => {
    await cli.call('POST', '/api/orgs/acme/hooks', {
      body: { name: 'envs', payloadUrl: orgReceiver.url, secret: SECRET, groups: ['environments'] },
    })
    await cli.call('POST', ENVS, { body: { project: 'app', name: 'prod' } })
    const created = await cli.call<Record<string, unknown>>('POST', `${ENVS}/app/prod/hooks`, {
      body: { name: 'mine', payloadUrl: envReceiver.url, secret: SECRET },
    })
    assert.equal(created.status, 201)
    assert.equal(created.body.envName, 'prod')
    assert.equal(created.body.projectName, 'app')
    const listed = await cli.call<{ name: string }[]>('GET', `${ENVS}/app/prod/hooks`)
    assert.deepEqual(
      listed.body.map((h) => h.name),
      ['mine'],
    )
    await cli.call('PATCH', `${ENVS}/app/prod`, { rawBody: Buffer.from('values:\n  a: 1\n') })
    // Deleting the environment deletes its hooks with their undelivered events (as for a stack's hooks), so the
    // revision event is awaited first.
    await envReceiver.waitFor(1)
    await cli.call('DELETE', `${ENVS}/app/prod`)

    await orgReceiver.waitFor(3)
    await new Promise((resolve) => setTimeout(resolve, 200))
    const events = (r: WebhookReceiver) =>
      r.received.map((x) => `${x.headers['pulumi-webhook-kind']}:${x.json.envName}:${x.json.revision ?? '-'}`)
    assert.deepEqual(orgReceiver.received.length, 3)
    assert.deepEqual(events(orgReceiver).sort(), [
      'environment:prod:-',
      'environment:prod:-',
      'environment:prod:2',
    ])
    assert.deepEqual(
      events(envReceiver),
      ['environment:prod:2'],
      'created/deleted go to organization hooks only',
    )
    for (const r of [...orgReceiver.received, ...envReceiver.received]) {
      assert.equal(r.signatureValid, true)
      // Every event names who made the change, deletion included.
      assert.equal(
        (r.json.user as { githubLogin?: string } | undefined)?.githubLogin,
        'alice',
        r.json.action as string,
      )
    }
    // Deleting the environment deleted its hooks.
    await assertApiError(cli.call('GET', `${ENVS}/app/prod/hooks`), 404)
  })

  it('answers 404 for the hooks of an environment that does not exist', async () => {
    await assertApiError(cli.call('GET', `${ENVS}/app/nothing/hooks`), 404, /environment acme\/app\/nothing/)
  })
})
