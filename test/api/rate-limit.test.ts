import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { assertApiError } from '../support/assert-api-error.js'
import { CliApiError, type CliClient } from '../support/cli-client.js'
import { useTestServer } from '../support/test-server.js'
import { complete, createAndStart, createEntries, sendJournal } from '../support/update-driver.js'

describe('rate limit per API token (-rate-limit)', () => {
  let cli: CliClient
  let now = 1_700_000_000_000
  useTestServer({ args: ['-rate-limit=5'], overrides: { clock: { now: () => now } } }, (started) => {
    cli = started.client
  })

  it('answers 429 with Retry-After past the limit, never limits update tokens, and resets each minute', async () => {
    const stack = { org: 'acme', project: 'web', stack: 'dev' }
    await cli.call('POST', '/api/stacks/acme/web', { body: { stackName: 'dev' } })
    const update = await createAndStart(cli, stack)
    await cli.call('GET', '/api/user')
    await cli.call('GET', '/api/user')
    await assertApiError(cli.call('GET', '/api/user'), 429, /Too Many Requests/)
    const raw = await cli.call('GET', '/api/user').catch((error: unknown) => error as CliApiError)
    assert.ok(raw instanceof CliApiError)
    assert.equal(raw.response.headers['retry-after'], '60')
    // The running update carries on: its calls use the update token.
    await sendJournal(cli, update, createEntries(stack, 1))
    await complete(cli, update)
    now += 30_000
    const later = await cli.call('GET', '/api/user').catch((error: unknown) => error as CliApiError)
    assert.ok(later instanceof CliApiError)
    assert.equal(later.response.headers['retry-after'], '30')
    now += 30_000
    assert.equal((await cli.call('GET', '/api/user')).status, 200)
  })
})

describe('no rate limit by default (single tenant)', () => {
  let cli: CliClient
  useTestServer({}, (started) => {
    cli = started.client
  })

  it('serves many calls a minute', async () => {
    for (let i = 0; i < 50; i++) assert.equal((await cli.call('GET', '/api/user')).status, 200)
  })
})
