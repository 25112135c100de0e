// The web console in real Chromium (Debian's chromium driven by playwright-core): sign in, browse stacks, a stack
// and one resource, history, a live log while an update runs through the CLI-exact client, a version diff, cancel
// a running update, token creation, organization tokens and the audit log. Screenshots of each page go to
// .tmp/console-screenshots/ for review.
// Skipped, with the reason printed, where no chromium is installed.
import assert from 'node:assert/strict'
import { existsSync, mkdirSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { startTestServer, type TestServer } from '../support/test-server.js'
import { complete, createAndStart, sendEvents } from '../support/update-driver.js'
import { seedStack } from './seed-stack.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const skip = existsSync(CHROMIUM)
  ? false
  : `no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`
if (skip) process.stdout.write(`# console browser tests skipped: ${skip}\n`)
const SHOTS = new URL('../../.tmp/console-screenshots/', import.meta.url)

const stack = { org: 'acme', project: 'shop', stack: 'prod' }
const stackUrl = `/${stack.org}/${stack.project}/${stack.stack}`

describe('web console in Chromium', { skip }, () => {
  let server: TestServer
  let browser: Browser
  let context: BrowserContext
  let page: Page
  const shot = (name: string) =>
    page.screenshot({ path: new URL(`${name}.png`, SHOTS).pathname, fullPage: true })

  before(async () => {
    mkdirSync(SHOTS, { recursive: true })
    server = await startTestServer()
    await seedStack(
      server.client,
      stack,
      { plain: ['endpoint', 'https://shop.example.test'], secret: ['dbPassword', 's3cr3t-value'] },
      (rootUrn) => {
        const prefix = `urn:pulumi:${stack.stack}::${stack.project}`
        const vpc = {
          urn: `${prefix}::aws:ec2/vpc:Vpc::main`,
          custom: true,
          type: 'aws:ec2/vpc:Vpc',
          id: 'vpc-1',
          parent: rootUrn,
          inputs: { cidrBlock: '10.0.0.0/16' },
          outputs: { id: 'vpc-1' },
        }
        const subnet = {
          urn: `${prefix}::aws:ec2/subnet:Subnet::a`,
          custom: true,
          type: 'aws:ec2/subnet:Subnet',
          id: 'subnet-a',
          parent: rootUrn,
          dependencies: [vpc.urn],
          inputs: { vpcId: 'vpc-1' },
          outputs: { id: 'subnet-a' },
        }
        return [vpc, subnet]
      },
    )
    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    page = await context.newPage()
    page.setDefaultTimeout(10_000)
  })
  after(async () => {
    await browser?.close()
    await server?.close()
  })

  it('signs in by pasting a token; the session cookie is HttpOnly and SameSite=Lax', async () => {
    await page.goto(`${server.url}/`)
    await page.waitForURL(/\/signin$/)
    await shot('signin')
    await page.getByLabel('Access token').fill(server.token)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(/\/stacks$/)
    const cookie = (await context.cookies(server.url)).find((c) => c.name === 'pb_session')
    assert.equal(cookie?.httpOnly, true)
    assert.equal(cookie?.sameSite, 'Lax')
    assert.ok(!page.url().includes(server.token), 'no token in the URL')
  })

  it('lists stacks and opens one: resource tree, masked secret revealed on request, one resource', async () => {
    await shot('stacks')
    await page.getByRole('link', { name: 'acme/shop/prod' }).click()
    await page.waitForURL(new RegExp(`${stackUrl}$`))
    assert.equal(await page.getByText('s3cr3t-value').count(), 0)
    await shot('stack')
    await page.getByRole('button', { name: 'Reveal secrets' }).click()
    await page.getByText('s3cr3t-value').waitFor()
    await page.getByRole('link', { name: 'a', exact: true }).click()
    await page.getByRole('heading', { name: 'a aws:ec2/subnet:Subnet' }).waitFor()
    await page
      .locator('#resource')
      .getByText(`urn:pulumi:prod::shop::aws:ec2/vpc:Vpc::main`)
      .first()
      .waitFor()
    await shot('resource')
    await page.getByRole('link', { name: 'Dependency graph' }).click()
    await page.locator('svg.graph').waitFor()
    await shot('graph')
  })

  it('follows an update log live while the update runs through the CLI-exact client', async () => {
    const update = await createAndStart(server.client, stack, { journal: false })
    await page.goto(`${server.url}${stackUrl}/updates/${update.version}`)
    assert.equal(await page.locator('#update-status').textContent(), 'running')
    await sendEvents(server.client, update, [
      { sequence: 1, timestamp: 1, preludeEvent: { config: {} } },
      {
        sequence: 2,
        timestamp: 1,
        resourcePreEvent: {
          metadata: {
            op: 'create',
            urn: 'urn:pulumi:prod::shop::aws:s3/bucket:Bucket::logs',
            type: 'aws:s3/bucket:Bucket',
            provider: '',
          },
        },
      },
    ])
    await page.getByText('+ aws:s3/bucket:Bucket: (create)').waitFor({ timeout: 15_000 })
    await sendEvents(server.client, update, [
      {
        sequence: 3,
        timestamp: 2,
        summaryEvent: { durationSeconds: 4, resourceChanges: { create: 1, same: 3 } },
      },
    ])
    await complete(server.client, update)
    await page.locator('#update-status', { hasText: 'succeeded' }).waitFor({ timeout: 15_000 })
    await page.getByText('Duration: 4s').waitFor()
    await shot('update-log')
  })

  it('shows history with charts and compares two versions', async () => {
    await page.goto(`${server.url}${stackUrl}/updates`)
    await page.getByRole('img', { name: 'Update duration' }).waitFor()
    await shot('history')
    await page.getByLabel('From version').fill('0')
    await page.getByRole('button', { name: 'Compare versions' }).click()
    await page.getByText('3 added, 0 removed, 0 changed').waitFor()
    await shot('diff')
  })

  it('cancels a running update after confirmation', async () => {
    await createAndStart(server.client, stack, { journal: false })
    await page.goto(`${server.url}${stackUrl}`)
    await page.getByRole('heading', { name: 'Locked by a running update' }).waitFor()
    await shot('lock')
    await page.getByLabel('I understand the running update will be stopped').check()
    await page.getByRole('button', { name: 'Cancel update' }).click()
    await page.waitForURL(new RegExp(`${stackUrl}$`))
    assert.equal(await page.getByRole('heading', { name: 'Locked by a running update' }).count(), 0)
  })

  it('creates a personal token, shown once', async () => {
    await page.getByRole('link', { name: 'Tokens' }).click()
    await page.getByLabel('Description').fill('ci laptop')
    await page.getByRole('button', { name: 'Create token' }).click()
    const token = await page.getByLabel('Token', { exact: true }).inputValue()
    assert.ok(token.length > 20)
    await shot('tokens')
    await page.goto(`${server.url}/tokens`)
    await page.getByText('ci laptop').waitFor()
    assert.equal(await page.getByLabel('Token', { exact: true }).count(), 0, 'shown only once')
  })

  it('creates an organization token (shown once after the redirect) and browses the audit log', async () => {
    await page.getByRole('link', { name: 'Admin' }).click()
    await page.getByRole('link', { name: 'organization tokens' }).first().click()
    await page.waitForURL(/\/admin\/acme\/tokens$/)
    await page.getByLabel('Name').fill('deploy-bot')
    await page.getByLabel('Description').fill('CI deploys')
    await page.getByRole('button', { name: 'Create organization token' }).click()
    await page.waitForURL(/\/admin\/acme\/tokens$/)
    const token = await page.getByLabel('Token', { exact: true }).inputValue()
    assert.ok(token.length > 20)
    assert.ok(!page.url().includes(token), 'no token in the URL')
    await shot('org-tokens')
    await page.reload()
    assert.equal(
      await page.getByLabel('Token', { exact: true }).count(),
      0,
      'a reload neither re-posts nor shows it',
    )
    assert.equal(await page.getByRole('cell', { name: 'deploy-bot', exact: true }).count(), 1, 'created once')
    await page.getByRole('link', { name: 'Audit log' }).click()
    // The console's own form post is audited under its console operation name.
    await page.getByLabel('Event').fill('console.org token create')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.getByRole('cell', { name: 'console.org token create' }).first().waitFor()
    const download = await page.getByRole('link', { name: 'Export as CSV' }).getAttribute('href')
    assert.equal(download, '/admin/acme/audit/export?event=console.org+token+create')
    await shot('audit-log')
  })

  it('reads well on a phone-sized screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto(`${server.url}/stacks`)
    const overflow = await page.evaluate('document.documentElement.scrollWidth > window.innerWidth + 1')
    assert.equal(overflow, false, 'no page-wide horizontal scrolling')
    await shot('stacks-phone')
  })
})
