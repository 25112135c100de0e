import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import SQLite from 'better-sqlite3'
import { assertApiError } from '../support/assert-api-error.js'
import { CliClient } from '../support/cli-client.js'
import { ManualClock } from '../support/manual-clock.js'
import { type TestServer, useTestServer } from '../support/test-server.js'

interface CloudToken {
  id: string
  name: string
  description: string
  created: string
  lastUsed: number
  expires: number
  admin: boolean
  createdBy: string
  type: string
}
interface Created {
  id: string
  tokenValue: string
}
interface ServiceUser {
  githubLogin: string
  siteAdmin: boolean
  tokenInfo?: { name: string; organization?: string }
}

describe('access tokens in single-tenant mode', () => {
  const clock = new ManualClock()
  let server: TestServer
  let cli: CliClient
  useTestServer({ overrides: { clock } }, (started) => {
    server = started
    cli = started.client
  })

  it('mints, lists and revokes personal tokens in Pulumi Cloud shapes', async () => {
    const expires = Math.floor(clock.now() / 1000) + 3600
    const created = await cli.call<Created>('POST', '/api/user/tokens', {
      body: { description: 'laptop', expires },
    })
    assert.match(created.body.tokenValue, /^pul-[0-9a-f]{64}$/)
    assert.equal(typeof created.body.id, 'string')

    const own = new CliClient(server.url, created.body.tokenValue)
    assert.equal((await own.call<ServiceUser>('GET', '/api/user')).body.githubLogin, 'alice')

    const listed = (await cli.call<{ tokens: CloudToken[] }>('GET', '/api/user/tokens')).body.tokens
    const token = listed.find((t) => t.id === created.body.id)
    assert.ok(token)
    assert.equal(token.description, 'laptop')
    assert.equal(token.expires, expires)
    assert.equal(token.lastUsed, Math.floor(clock.now() / 1000))
    assert.equal(token.type, 'personal')
    assert.equal(token.createdBy, 'alice')
    assert.equal(token.created, new Date(clock.now()).toISOString())
    assert.ok(!JSON.stringify(listed).includes(created.body.tokenValue), 'a listing never shows token values')

    const deleted = await cli.call('DELETE', `/api/user/tokens/${created.body.id}`)
    assert.equal(deleted.status, 200)
    await assertApiError(own.call('GET', '/api/user'), 401)
    await assertApiError(cli.call('DELETE', `/api/user/tokens/${created.body.id}`), 404)
  })

  it('refuses an expired token with a 401 the CLI shows, and bad create requests with 400', async () => {
    const created = await cli.call<Created>('POST', '/api/user/tokens', {
      body: { description: 'short', expires: Math.floor(clock.now() / 1000) + 60 },
    })
    const own = new CliClient(server.url, created.body.tokenValue)
    await own.call('GET', '/api/user')
    clock.advance(61_000)
    await assertApiError(own.call('GET', '/api/user'), 401, /expired/)
    // Minting the next expiring token clears the expired one from the database.
    await cli.call('POST', '/api/user/tokens', {
      body: { description: 'next', expires: Math.floor(clock.now() / 1000) + 60 },
    })
    const db = new SQLite(server.dbPath, { readonly: true })
    try {
      const row = db.prepare('select count(*) as n from access_tokens where id = ?').get(created.body.id)
      assert.deepEqual(row, { n: 0 })
    } finally {
      db.close()
    }

    await assertApiError(cli.call('POST', '/api/user/tokens', { body: { expires: 0 } }), 400)
    await assertApiError(cli.call('POST', '/api/user/tokens', { body: { description: '', expires: 0 } }), 400)
    await assertApiError(
      cli.call('POST', '/api/user/tokens', { body: { description: 'x', expires: 1 } }),
      400,
      /future/,
    )
    await assertApiError(
      cli.call('POST', '/api/user/tokens', { body: { description: 'x', expires: 'soon' } }),
      400,
    )
  })

  it('records last use at most once a minute', async () => {
    const created = await cli.call<Created>('POST', '/api/user/tokens', {
      body: { description: 'ci', expires: 0 },
    })
    const own = new CliClient(server.url, created.body.tokenValue)
    const lastUsed = () => {
      const db = new SQLite(server.dbPath, { readonly: true })
      try {
        const row = db
          .prepare('select last_used_at from access_tokens where id = ?')
          .get(created.body.id) as {
          last_used_at: number | null
        }
        return row.last_used_at
      } finally {
        db.close()
      }
    }
    assert.equal(lastUsed(), null)
    await own.call('GET', '/api/user')
    const first = lastUsed()
    assert.equal(first, clock.now())
    clock.advance(30_000)
    await own.call('GET', '/api/user')
    assert.equal(lastUsed(), first, 'no write within the minute')
    clock.advance(31_000)
    await own.call('GET', '/api/user')
    assert.equal(lastUsed(), clock.now())
  })

  it('mints organization tokens that act as the organization and belong to no person', async () => {
    const created = await cli.call<Created>('POST', '/api/orgs/acme/tokens', {
      body: { name: 'deploy-bot', description: 'CI', admin: false, expires: 0 },
    })
    const bot = new CliClient(server.url, created.body.tokenValue)
    const user = (await bot.call<ServiceUser>('GET', '/api/user')).body
    assert.equal(user.githubLogin, 'acme')
    assert.deepEqual(user.tokenInfo, { name: 'deploy-bot', organization: 'acme' })

    // It can work with stacks.
    await bot.call('POST', '/api/stacks/acme/proj', { body: { stackName: 'ci' } })
    const listed = (await cli.call<{ tokens: CloudToken[] }>('GET', '/api/orgs/acme/tokens')).body.tokens
    assert.deepEqual(
      listed.map((t) => [t.name, t.description, t.type, t.createdBy]),
      [['deploy-bot', 'CI', 'organization', 'alice']],
    )
    // It has no personal tokens, and it is not listed among alice's.
    await assertApiError(bot.call('GET', '/api/user/tokens'), 403)
    const personal = (await cli.call<{ tokens: CloudToken[] }>('GET', '/api/user/tokens')).body.tokens
    assert.ok(!personal.some((t) => t.id === created.body.id))

    await assertApiError(
      cli.call('POST', '/api/orgs/acme/tokens', { body: { name: 'deploy-bot', admin: false, expires: 0 } }),
      400,
      /already has a token named/,
    )
    await assertApiError(
      cli.call('POST', '/api/orgs/other/tokens', { body: { name: 'x', admin: false, expires: 0 } }),
      404,
    )
    await assertApiError(cli.call('DELETE', `/api/user/tokens/${created.body.id}`), 404)
    assert.equal((await cli.call('DELETE', `/api/orgs/acme/tokens/${created.body.id}`)).status, 200)
    await assertApiError(bot.call('GET', '/api/user'), 401)
  })

  it('lets the admin list and revoke all of a user’s tokens (Go server admin routes)', async () => {
    const a = await cli.call<Created>('POST', '/api/user/tokens', {
      body: { description: 'one', expires: 0 },
    })
    const listed = await cli.call<{ tokens: { id: string; tokenHashPrefix: string; createdAt: string }[] }>(
      'GET',
      '/api/admin/tokens/alice',
    )
    const entry = listed.body.tokens.find((t) => t.id === a.body.id)
    assert.ok(entry)
    assert.match(entry.tokenHashPrefix, /^[0-9a-f]{8}$/)
    assert.deepEqual((await cli.call('GET', '/api/admin/tokens/nobody')).body, { tokens: [] })

    const revoked = await cli.call<{ revoked: number }>('DELETE', '/api/admin/tokens/alice')
    assert.ok(revoked.body.revoked >= 1)
    await assertApiError(new CliClient(server.url, a.body.tokenValue).call('GET', '/api/user'), 401)
    // The shared -single-tenant-token is configuration, not a stored token: it keeps working.
    assert.equal((await cli.call<ServiceUser>('GET', '/api/user')).body.githubLogin, 'alice')
  })
})
