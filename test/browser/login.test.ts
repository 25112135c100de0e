import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { CliClient } from '../support/cli-client.js'
import { OidcIssuer, startCliListener, startIssuerForBackend } from '../support/oidc-issuer.js'
import { startTestServer, type TestServer } from '../support/test-server.js'

// The login flows in a real browser (Debian's chromium driven by playwright-core): cookies, redirects and the
// pages as a person gets them. Skipped, with the reason printed, where no chromium is installed.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const skip = existsSync(CHROMIUM)
  ? false
  : `no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`
if (skip) process.stdout.write(`# browser login tests skipped: ${skip}\n`)

describe('login in Chromium', { skip }, () => {
  const issuer = new OidcIssuer()
  let server: TestServer
  let publicUrl: string
  let browser: Browser

  before(async () => {
    const started = await startIssuerForBackend(issuer)
    publicUrl = started.publicUrl
    issuer.accounts.set('alice', { sub: 'alice', email: 'alice@example.com' })
    issuer.nextAccount = 'alice'
    server = await startTestServer({ args: [...started.args, `-addr=127.0.0.1:${started.port}`] })
    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  })
  after(async () => {
    await browser?.close()
    await server?.close()
    await issuer.close()
  })

  it('completes the `pulumi login` round trip: /cli-login → provider → CLI listener → /welcome/cli', async () => {
    const nonce = randomBytes(32).toString('hex')
    const cli = await startCliListener(nonce, `${publicUrl}/welcome/cli`)
    const page = await browser.newPage()
    try {
      await page.goto(`${publicUrl}/cli-login?cliSessionPort=${cli.port}&cliSessionNonce=${nonce}`)
      await page.waitForURL(`${publicUrl}/welcome/cli`)
      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Login complete')
      const token = cli.received[0] ?? ''
      const user = await new CliClient(server.url, token).call<{ githubLogin: string }>('GET', '/api/user')
      assert.equal(user.body.githubLogin, 'alice@example.com')
    } finally {
      await page.close()
      await cli.close()
    }
  })

  it('signs in from /login and shows a working token; the state cookie is HttpOnly and gone afterwards', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    try {
      await page.goto(`${publicUrl}/login`)
      const cookie = (await context.cookies(publicUrl)).find((c) => c.name === 'oauth_state')
      assert.equal(cookie?.httpOnly, true)
      assert.equal(cookie?.sameSite, 'Lax')
      await page.getByRole('link', { name: 'Sign in with SSO' }).click()
      await page.waitForURL((url) => url.pathname === '/login/callback')
      const token = (await page.getByLabel('access token').textContent()) ?? ''
      assert.match(token, /^pul-[0-9a-f]{64}$/)
      assert.equal(
        (await context.cookies(publicUrl)).find((c) => c.name === 'oauth_state'),
        undefined,
      )
      const user = await new CliClient(server.url, token).call<{ githubLogin: string }>('GET', '/api/user')
      assert.equal(user.body.githubLogin, 'alice@example.com')
      // The same login signs the web console in.
      const session = (await context.cookies(publicUrl)).find((c) => c.name === 'pb_session')
      assert.equal(session?.httpOnly, true)
      await page.goto(`${publicUrl}/stacks`)
      await page.getByRole('heading', { name: 'Stacks' }).waitFor()
    } finally {
      await context.close()
    }
  })
})
