// `pulumi stack init --teams` grants in the web console (issue 11): the console decides like the API, with the
// stack's team grants looked up, so a team member granted a stack sees it listed, gets its edit controls and can
// change its tags; a stack without the grant stays hidden (404), as it is from the API.
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { CliClient } from '../support/cli-client.js'
import { jwtClient } from '../support/jwt-client.js'
import { startTestServer, type TestServer } from '../support/test-server.js'
import { FormSession } from './form-session.js'

const SECRET = 'a-shared-hmac-secret-of-at-least-32-characters'
const POLICY = `
defaultPermission: none
groupRoles:
  - { group: ops, permission: admin }
`

describe('web console: `stack init --teams` grants', () => {
  let server: TestServer
  let admin: CliClient
  let bella: FormSession

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'console-teams-'))
    writeFileSync(join(dir, 'rbac.yaml'), POLICY)
    server = await startTestServer({
      dir,
      args: ['-auth-mode=jwt', `-jwt-signing-key=${SECRET}`, `-rbac-config=${join(dir, 'rbac.yaml')}`],
    })
    admin = await jwtClient(server.url, SECRET, { sub: 'olga', groups: ['ops'] })
    // The CLI's body for `pulumi stack init acme/web/blue-app --teams blue` (httpstate client.go :: CreateStack).
    await admin.call('POST', '/api/stacks/acme/web', { body: { stackName: 'blue-app', teams: ['blue'] } })
    await admin.call('POST', '/api/stacks/acme/web', { body: { stackName: 'other' } })
    const token = (await jwtClient(server.url, SECRET, { sub: 'bella', groups: ['blue'] })).token
    bella = await FormSession.signIn(server.url, token)
  })
  after(() => server?.close())

  it('lists and shows the granted stack with its edit controls, and hides the other', async () => {
    const list = await bella.text('/stacks')
    assert.match(list, /acme\/web\/blue-app/)
    assert.doesNotMatch(list, /acme\/web\/other/)
    const page = await bella.get('/acme/web/blue-app')
    assert.equal(page.status, 200)
    assert.match(await page.text(), /action="\/acme\/web\/blue-app\/tags"/)
    assert.equal((await bella.get('/acme/web/other')).status, 404)
  })

  it('saves tags of the granted stack, and refuses the other as not found', async () => {
    const csrf = await bella.csrf('/acme/web/blue-app')
    const saved = await bella.post('/acme/web/blue-app/tags', { csrf, tags: 'owner=blue' })
    assert.equal(saved.status, 303)
    const stack = await admin.call<{ tags: Record<string, string> }>('GET', '/api/stacks/acme/web/blue-app')
    assert.equal(stack.body.tags.owner, 'blue')
    const refused = await bella.post('/acme/web/other/tags', { csrf, tags: 'owner=blue' })
    assert.equal(refused.status, 404)
    const other = await admin.call<{ tags: Record<string, string> }>('GET', '/api/stacks/acme/web/other')
    assert.equal(other.body.tags.owner, undefined)
  })
})
