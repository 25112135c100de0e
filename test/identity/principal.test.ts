import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CliClient } from '../support/cli-client.js'
import { type TestServer, useTestServer } from '../support/test-server.js'
import { complete, createAndStart, createEntries, sendJournal, stackPath } from '../support/update-driver.js'

// The authenticated principal reaches the services that record who did what.
describe('principal in history', () => {
  let server: TestServer
  useTestServer({}, (started) => {
    server = started
  })

  it('records the caller of a rename, not an empty requester', async () => {
    const created = await server.client.call<{ tokenValue: string }>('POST', '/api/orgs/acme/tokens', {
      body: { name: 'renamer', admin: false, expires: 0 },
    })
    const bot = new CliClient(server.url, created.body.tokenValue)
    const stack = { org: 'acme', project: 'proj', stack: 'before' }
    await bot.call('POST', '/api/stacks/acme/proj', { body: { stackName: 'before' } })
    const update = await createAndStart(bot, stack)
    await sendJournal(bot, update, createEntries(stack, 1))
    await complete(bot, update)
    await bot.call('POST', `${stackPath(stack)}/rename`, { body: { newName: 'after' } })

    const history = await bot.call<{ updates: { kind: string; requestedBy: { githubLogin: string } }[] }>(
      'GET',
      '/api/stacks/acme/proj/after/updates?pageSize=10&page=1',
    )
    assert.deepEqual(
      history.body.updates.map((u) => [u.kind, u.requestedBy.githubLogin]),
      [
        ['rename', 'acme'],
        ['update', 'acme'],
      ],
    )
  })
})
