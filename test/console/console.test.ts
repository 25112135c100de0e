// The web console (issue 13) over HTTP: sign-in, session cookie, CSRF, security headers, pages built from the same
// services as the API, secrets masked until revealed, tags, live log, cancel.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type TestServer, useTestServer } from '../support/test-server.js'
import { complete, createAndStart, sendEvents, stackPath } from '../support/update-driver.js'
import { seedStack } from './seed-stack.js'

const stack = { org: 'acme', project: 'web', stack: 'prod' }
const api = stackPath(stack)
const page = `/${stack.org}/${stack.project}/${stack.stack}`

describe('web console', () => {
  let server: TestServer
  let cookie: string
  useTestServer({}, async (started) => {
    server = started
    await seedStack(
      server.client,
      stack,
      { plain: ['url', 'https://example.test'], secret: ['password', 'hunter2'] },
      (root) => [
        {
          urn: 'urn:pulumi:prod::web::aws:s3/bucket:Bucket::assets',
          custom: true,
          type: 'aws:s3/bucket:Bucket',
          id: 'assets-123',
          parent: root,
          inputs: { acl: 'private' },
          outputs: { arn: 'arn:aws:s3:::assets-123' },
        },
      ],
    )
  })

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { redirect: 'manual', headers: { cookie, ...headers } })
  const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    })
  const csrfOf = async (path: string) => {
    const body = await (await get(path)).text()
    const match = /name="csrf" value="([^"]+)"/.exec(body)
    assert.ok(match, `no CSRF field on ${path}`)
    return match[1] as string
  }

  it('sends browsers at / to the console and keeps answering the status to everyone else', async () => {
    const browser = await fetch(`${server.url}/`, {
      redirect: 'manual',
      headers: { accept: 'text/html,*/*' },
    })
    assert.equal(browser.status, 303)
    assert.equal(browser.headers.get('location'), '/stacks')
    const cli = await server.client.call('GET', '/')
    assert.deepEqual(cli.body, { status: 'ok' })
  })

  it('asks for sign-in without a session, and refuses an unknown token without setting a cookie', async () => {
    const anonymous = await fetch(`${server.url}/stacks`, { redirect: 'manual' })
    assert.equal(anonymous.status, 303)
    assert.equal(anonymous.headers.get('location'), '/signin')
    const refused = await fetch(`${server.url}/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=not-a-token',
    })
    assert.equal(refused.status, 401)
    assert.equal(refused.headers.get('set-cookie'), null)
    assert.match(await refused.text(), /not valid/)
  })

  it('refuses a sign-in posted from another site', async () => {
    const response = await fetch(`${server.url}/signin`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: new URLSearchParams({ token: server.token }).toString(),
    })
    assert.equal(response.status, 403)
    assert.equal(response.headers.get('set-cookie'), null)
  })

  it('signs in with a token into an HttpOnly SameSite=Lax cookie', async () => {
    const response = await fetch(`${server.url}/signin`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: server.token }).toString(),
    })
    assert.equal(response.status, 303)
    const setCookie = response.headers.get('set-cookie') ?? ''
    assert.match(setCookie, /HttpOnly/)
    assert.match(setCookie, /SameSite=Lax/)
    assert.doesNotMatch(setCookie, /Secure/, 'plain http: a Secure cookie would never come back')
    cookie = setCookie.split(';')[0] as string
  })

  it('serves pages with CSP (no inline script), frame-ancestors and a referrer policy', async () => {
    const response = await get('/stacks')
    assert.equal(response.status, 200)
    const csp = response.headers.get('content-security-policy') ?? ''
    assert.match(csp, /script-src 'self'/)
    assert.doesNotMatch(csp, /unsafe-inline/)
    assert.match(csp, /frame-ancestors 'none'/)
    assert.equal(response.headers.get('referrer-policy'), 'same-origin')
    const body = await response.text()
    assert.doesNotMatch(body, /<script>|<script [^>]*>[^<]/, 'no inline script')
    assert.doesNotMatch(body, new RegExp(server.token), 'the token never appears in a page')
    assert.match(body, /acme\/web\/prod/)
  })

  it('filters stacks by project', async () => {
    assert.match(await (await get('/stacks?project=web')).text(), /acme\/web\/prod/)
    assert.doesNotMatch(await (await get('/stacks?project=other')).text(), /acme\/web\/prod/)
  })

  it('shows a stack with its resource tree and masks secret outputs', async () => {
    const body = await (await get(page)).text()
    assert.match(body, /aws:s3\/bucket:Bucket/)
    assert.match(body, /assets-123/)
    assert.match(body, /https:\/\/example.test/)
    assert.match(body, /\[secret\]/)
    assert.doesNotMatch(body, /hunter2/)
    const detail = await (
      await get(`${page}?urn=${encodeURIComponent('urn:pulumi:prod::web::aws:s3/bucket:Bucket::assets')}`)
    ).text()
    assert.match(detail, /arn:aws:s3:::assets-123/)
  })

  it('reveals secrets only on a POST carrying the CSRF token', async () => {
    const forged = await post(`${page}/reveal`, { csrf: 'forged' })
    assert.equal(forged.status, 403)
    assert.doesNotMatch(await forged.text(), /hunter2/)
    const revealed = await post(`${page}/reveal`, { csrf: await csrfOf(page) })
    assert.equal(revealed.status, 200)
    assert.match(await revealed.text(), /hunter2/)
  })

  it('edits tags through the stack service', async () => {
    const response = await post(`${page}/tags`, { csrf: await csrfOf(page), tags: 'team=web\nowner = ops' })
    assert.equal(response.status, 303)
    const seen = await server.client.call<{ tags: Record<string, string> }>('GET', api)
    assert.equal(seen.body.tags.team, 'web')
    assert.equal(seen.body.tags.owner, 'ops')
    const bad = await post(`${page}/tags`, { csrf: await csrfOf(page), tags: 'no equals sign' })
    assert.equal(bad.status, 400)
  })

  it('downloads the export', async () => {
    const response = await get(`${page}/export`)
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-disposition') ?? '', /attachment/)
    const body = (await response.json()) as { deployment: { resources: unknown[] } }
    assert.equal(body.deployment.resources.length, 2)
  })

  it('shows history and an update log rendered from stored events, live while the update runs', async () => {
    const update = await createAndStart(server.client, stack, { journal: false })
    const urn = 'urn:pulumi:prod::web::aws:s3/bucket:Bucket::logs'
    await sendEvents(server.client, update, [
      { sequence: 1, timestamp: 1, preludeEvent: { config: { 'web:greeting': 'hello' } } },
      {
        sequence: 2,
        timestamp: 1,
        resourcePreEvent: { metadata: { op: 'create', urn, type: 'aws:s3/bucket:Bucket', provider: '' } },
      },
    ])
    const stream = await get(`${page}/updates/${update.version}/stream`)
    assert.equal(stream.status, 200)
    assert.match(stream.headers.get('content-type') ?? '', /text\/event-stream/)
    const reader = stream.body?.getReader()
    assert.ok(reader)
    await sendEvents(server.client, update, [
      {
        sequence: 3,
        timestamp: 2,
        summaryEvent: { durationSeconds: 3, resourceChanges: { create: 1, same: 2 } },
      },
    ])
    await complete(server.client, update)
    let received = ''
    while (!received.includes('event: done')) {
      const chunk = await reader.read()
      if (chunk.done) break
      received += Buffer.from(chunk.value).toString('utf8')
    }
    assert.match(received, /event: done\ndata: succeeded/)
    const logPage = await (await get(`${page}/updates/${update.version}`)).text()
    assert.match(logPage, /\+ aws:s3\/bucket:Bucket: \(create\)/)
    assert.match(logPage, /\+ 1 created/)
    assert.match(logPage, /Duration: 3s/)
    const history = await (await get(`${page}/updates`)).text()
    assert.match(history, /test update/)
    assert.match(history, /succeeded/)
  })

  it('cancels a running update only with the confirmation ticked', async () => {
    const update = await createAndStart(server.client, stack, { journal: false })
    const body = await (await get(page)).text()
    assert.match(body, /Locked by a running update/)
    const csrf = await csrfOf(page)
    const unconfirmed = await post(`${page}/cancel`, { csrf, update: update.id })
    assert.equal(unconfirmed.status, 400)
    const cancelled = await post(`${page}/cancel`, { csrf, update: update.id, confirm: 'yes' })
    assert.equal(cancelled.status, 303)
    const seen = await server.client.call<{ status: string }>('GET', `${api}/update/${update.id}`)
    assert.equal(seen.body.status, 'failed', 'the CLI sees a cancelled update as failed')
    assert.doesNotMatch(await (await get(page)).text(), /Locked by a running update/)
  })

  it('compares two versions: resources added, removed and changed with property paths', async () => {
    const v1 = await (await get(`${page}/diff?from=0&to=1`)).text()
    assert.match(v1, /2 added, 0 removed, 0 changed/)
    const latest = await server.client.call<{ version: number }>('GET', api)
    const later = await (await get(`${page}/diff?from=1&to=${latest.body.version}`)).text()
    assert.match(later, /\d+ added, \d+ removed, \d+ changed/)
    const beyond = await get(`${page}/diff?from=0&to=999`)
    assert.equal(beyond.status, 404)
    const bad = await get(`${page}/diff?from=x`)
    assert.equal(bad.status, 400)
  })

  it('draws the dependency graph and the history charts as SVG', async () => {
    const graph = await (await get(`${page}/graph`)).text()
    assert.match(graph, /<svg class="graph"/)
    assert.match(graph, />assets</)
    const history = await (await get(`${page}/updates`)).text()
    assert.match(history, /aria-label="Update duration"/)
    assert.match(history, /aria-label="Resource count"/)
  })

  it('creates a personal token shown once, lists it, and revokes it', async () => {
    const created = await post('/tokens', { csrf: await csrfOf('/tokens'), description: 'laptop', days: '0' })
    assert.equal(created.status, 303, 'POST-redirect-GET: a reload never posts the form again')
    assert.equal(created.headers.get('location'), '/tokens', 'the token never goes in the URL')
    const body = await (await get('/tokens')).text()
    const token = /id="token-value" class="token" readonly value="([^"]+)"/.exec(body)?.[1]
    assert.ok(token, 'the new token is shown')
    const whoami = await fetch(`${server.url}/api/user`, { headers: { authorization: `token ${token}` } })
    assert.equal(whoami.status, 200, 'the token works against the API')
    const listed = await (await get('/tokens')).text()
    assert.match(listed, /laptop/)
    assert.doesNotMatch(listed, new RegExp(token), 'shown only once (a reload shows the list only)')
    const id = /action="\/tokens\/([^"/]+)\/revoke"/.exec(listed)?.[1]
    assert.ok(id)
    const revoked = await post(`/tokens/${id}/revoke`, { csrf: await csrfOf('/tokens') })
    assert.equal(revoked.status, 303)
    const after = await fetch(`${server.url}/api/user`, { headers: { authorization: `token ${token}` } })
    assert.equal(after.status, 401)
  })

  it('keeps console pages out of the API: /api paths still answer JSON errors and OpenAPI lists no page', async () => {
    const response = await get('/api/nothing/here/at-all')
    assert.match(response.headers.get('content-type') ?? '', /application\/json/)
    const openapi = (await server.client.call<{ paths: Record<string, unknown> }>('GET', '/api/openapi')).body
    assert.ok(!Object.keys(openapi.paths).some((p) => p.startsWith('/signin') || p.startsWith('/{org}')))
  })

  it('signs out (with CSRF), after which pages ask for sign-in again', async () => {
    const response = await post('/signout', { csrf: await csrfOf('/stacks') })
    assert.equal(response.status, 303)
    assert.match(response.headers.get('set-cookie') ?? '', /Max-Age=0/)
  })
})
