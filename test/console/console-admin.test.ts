// Console administration (issue 13): organization tokens and the audit log for admins, through the services of
// /api/orgs/{org}/tokens and /auditlogs; token creation as POST-redirect-GET with a one-time server-side flash.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import Database from 'better-sqlite3'
import { type TestServer, testDialect, useTestServer } from '../support/test-server.js'
import { FormSession } from './form-session.js'

describe('web console administration', () => {
  let server: TestServer
  let session: FormSession
  useTestServer({}, async (started) => {
    server = started
    session = await FormSession.signIn(server.url, server.token)
    for (const name of ['dev', 'staging', 'prod']) {
      await server.client.call('POST', '/api/stacks/acme/shop', { body: { stackName: name } })
    }
  })

  it('creates an organization token with POST-redirect-GET and shows it once, from any later GET', async () => {
    const created = await session.post('/admin/acme/tokens', {
      csrf: await session.csrf(),
      name: 'ci',
      description: 'deploy bot',
      days: '30',
    })
    assert.equal(created.status, 303)
    assert.equal(created.headers.get('location'), '/admin/acme/tokens')
    const page = await session.text('/admin/acme/tokens')
    const token = /id="token-value" class="token" readonly value="([^"]+)"/.exec(page)?.[1]
    assert.ok(token, 'the new token is shown after the redirect')
    const listed = await server.client.call<{ tokens: { name: string }[] }>('GET', '/api/orgs/acme/tokens')
    assert.ok(
      listed.body.tokens.some((t) => t.name === 'ci'),
      'the same tokens as the API',
    )
    const whoami = await fetch(`${server.url}/api/user`, { headers: { authorization: `token ${token}` } })
    assert.equal(whoami.status, 200)
    const reload = await session.text('/admin/acme/tokens')
    assert.match(reload, /deploy bot/)
    assert.doesNotMatch(reload, new RegExp(token), 'a reload shows it no more')
    if (testDialect === 'sqlite') {
      const db = new Database(server.dbPath, { readonly: true })
      try {
        const dump = JSON.stringify(db.prepare('select * from console_flashes').all())
        assert.doesNotMatch(dump, new RegExp(token), 'never stored in clear')
      } finally {
        db.close()
      }
    }
    const id = /action="\/admin\/acme\/tokens\/([^"/]+)\/revoke"/.exec(reload)?.[1]
    assert.ok(id)
    const revoked = await session.post(`/admin/acme/tokens/${id}/revoke`, { csrf: await session.csrf() })
    assert.equal(revoked.status, 303)
    const after = await fetch(`${server.url}/api/user`, { headers: { authorization: `token ${token}` } })
    assert.equal(after.status, 401)
  })

  it('a flash is only for the session that created it', async () => {
    await session.post('/tokens', { csrf: await session.csrf(), description: 'mine', days: '0' })
    // Another browser signed in with another token of the same user.
    const minted = await server.client.call<{ tokenValue: string }>('POST', '/api/user/tokens', {
      body: { description: 'other browser', expires: 0 },
    })
    const other = await FormSession.signIn(server.url, minted.body.tokenValue)
    const seenByOther = await other.text('/tokens')
    assert.doesNotMatch(seenByOther, /id="token-value"/)
    assert.match(await session.text('/tokens'), /id="token-value"/)
  })

  it('refuses an organization token without a name, as the API does', async () => {
    const bad = await session.post('/admin/acme/tokens', {
      csrf: await session.csrf(),
      name: '',
      description: 'x',
    })
    assert.equal(bad.status, 400)
    assert.match(await bad.text(), /token name must be/)
  })

  it('shows the audit log newest first, filtered by user and event, paged, with a CSV export', async () => {
    const all = await session.text('/admin/acme/audit')
    assert.match(all, /<td>createStack<\/td>/)
    const filtered = await session.text('/admin/acme/audit?event=createStack')
    assert.match(filtered, /<td>createStack<\/td>/)
    assert.doesNotMatch(filtered, /<td>CreateOrgToken<\/td>/)
    assert.doesNotMatch(await session.text('/admin/acme/audit?user=nobody-at-all'), /<td>createStack<\/td>/)
    const exported = await session.get('/admin/acme/audit/export?event=createStack')
    assert.equal(exported.status, 200)
    assert.match(exported.headers.get('content-type') ?? '', /text\/csv/)
    assert.match(exported.headers.get('content-disposition') ?? '', /attachment/)
    const csv = await exported.text()
    assert.equal(csv.split('\r\n').filter((l) => l.includes(',createStack,')).length, 3)
    assert.match(
      filtered,
      /href="\/admin\/acme\/audit\/export\?event=createStack"/,
      'the export link keeps the filters',
    )
    const future = await session.text('/admin/acme/audit?from=2999-01-01')
    assert.match(future, /No events match/)
    assert.equal((await session.get('/admin/acme/audit?from=yesterday')).status, 400)
  })

  it('pages the audit log with an "Older events" link', async () => {
    // More than a page (100) of audited changes, one after the other. On PostgreSQL this also checks that no
    // after-response audit write is lost to a race for the chain's next seq (audit-log.ts :: record).
    for (let i = 0; i < 105; i++) {
      await server.client.call('PATCH', '/api/stacks/acme/shop/dev/tags', { body: { n: String(i) } })
    }
    // An event the change itself did not write is written just after the response: wait for the last ones.
    const all = async () => {
      const page = await session.get('/admin/acme/audit/export?event=updateStackTags')
      return (await page.text()).split('\r\n').filter((l) => l.includes(',updateStackTags,')).length
    }
    for (let i = 0; i < 50 && (await all()) < 105; i++) await new Promise((r) => setTimeout(r, 100))
    assert.equal(await all(), 105, 'every change audited')
    const first = await session.text('/admin/acme/audit?event=updateStackTags')
    const next = /href="([^"]+)" rel="next"/.exec(first)?.[1]
    assert.ok(next, 'a next-page link')
    const second = await session.text(next.replace(/&amp;/g, '&'))
    assert.equal((second.match(/<td>updateStackTags<\/td>/g) ?? []).length, 5)
  })
})
