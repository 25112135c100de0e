// A reader in the web console, in real Chromium (RBAC: jwt mode with an -rbac-config): the stack list holds only
// the stacks they may read, stack pages offer no edit controls (tags, cancel), and a forged change posted from the
// signed-in page (valid session and CSRF token) is refused 403, as the API refuses it. Screenshot:
// .tmp/console-screenshots/reader-stack.png. Skipped, with the reason printed, where no chromium is installed.
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { SignJWT } from 'jose'
import type { Browser, Page } from 'playwright-core'
import { CliClient } from '../support/cli-client.js'
import { startTestServer, type TestServer } from '../support/test-server.js'
import { createAndStart } from '../support/update-driver.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const skip = existsSync(CHROMIUM)
  ? false
  : `no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`
if (skip) process.stdout.write(`# console reader browser tests skipped: ${skip}\n`)
const SHOTS = new URL('../../.tmp/console-screenshots/', import.meta.url)

const SECRET = 'a-shared-hmac-secret-of-at-least-32-characters'
const POLICY = `
defaultPermission: read
groupRoles:
  - { group: ops, permission: admin }
stackPolicies:
  - { group: contractors, projectPattern: "acme/hidden", permission: read, effect: deny }
`
const jwt = (sub: string, groups: string[]) =>
  new SignJWT({ sub, groups })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET))

describe('a reader in the web console (Chromium)', { skip }, () => {
  let server: TestServer
  let browser: Browser
  let page: Page
  let admin: CliClient
  const stackUrl = '/acme/web/dev'

  before(async () => {
    mkdirSync(SHOTS, { recursive: true })
    const dir = mkdtempSync(join(tmpdir(), 'console-rbac-'))
    writeFileSync(join(dir, 'rbac.yaml'), POLICY)
    server = await startTestServer({
      dir,
      args: ['-auth-mode=jwt', `-jwt-signing-key=${SECRET}`, `-rbac-config=${join(dir, 'rbac.yaml')}`],
    })
    admin = new CliClient(server.url, await jwt('olga', ['ops']))
    await admin.call('POST', '/api/stacks/acme/web', { body: { stackName: 'dev' } })
    await admin.call('POST', '/api/stacks/acme/hidden', { body: { stackName: 'prod' } })
    await createAndStart(admin, { org: 'acme', project: 'web', stack: 'dev' }, { journal: false })
    await admin.call('PATCH', '/api/stacks/acme/web/dev/tags', { body: { team: 'web' } })
    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage()
    page.setDefaultTimeout(10_000)
    await page.goto(`${server.url}/signin`)
    await page.getByLabel('Access token').fill(await jwt('rita', ['contractors']))
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(/\/stacks$/)
  })
  after(async () => {
    await browser?.close()
    await server?.close()
  })

  it('lists only the stacks the reader may read', async () => {
    await page.getByRole('link', { name: 'acme/web/dev' }).waitFor()
    assert.equal(await page.getByText('acme/hidden/prod').count(), 0)
  })

  it('shows a stack without edit controls: tags read-only, a running update without Cancel', async () => {
    await page.goto(`${server.url}${stackUrl}`)
    await page.getByRole('heading', { name: 'Locked by a running update' }).waitFor()
    await page.getByText('team').first().waitFor()
    assert.equal(await page.getByRole('button', { name: 'Save tags' }).count(), 0)
    assert.equal(await page.locator('textarea').count(), 0)
    assert.equal(await page.getByRole('button', { name: 'Cancel update' }).count(), 0)
    await page.screenshot({ path: new URL('reader-stack.png', SHOTS).pathname, fullPage: true })
  })

  it('refuses forged changes from the signed-in page with 403, and nothing changes', async () => {
    const csrf = await page.locator('input[name="csrf"]').first().inputValue()
    // Posted by the page itself: same origin, the session cookie and a valid CSRF token (a string, so the test
    // runner's transpiler adds nothing the page lacks).
    const statuses = await page.evaluate(`(async () => {
      const post = (url, form) => fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: ${JSON.stringify(csrf)}, ...form }).toString(),
      }).then((r) => r.status)
      return [
        await post('${stackUrl}/tags', { tags: 'team=mallory' }),
        await post('${stackUrl}/cancel', { update: 'any', confirm: 'yes' }),
        await post('/admin/acme/tokens', { name: 'x', description: 'x' }),
      ]
    })()`)
    assert.deepEqual(statuses, [403, 403, 403])
    const stack = await admin.call<{ tags: Record<string, string>; activeUpdate?: string }>(
      'GET',
      '/api/stacks/acme/web/dev',
    )
    assert.equal(stack.body.tags.team, 'web')
  })

  it('keeps the hidden stack and the admin pages closed', async () => {
    // As the API: a stack the caller may not read does not exist for them.
    const hidden = await page.goto(`${server.url}/acme/hidden/prod`)
    assert.equal(hidden?.status(), 404)
    const audit = await page.goto(`${server.url}/admin/acme/audit`)
    assert.equal(audit?.status(), 403)
  })
})
