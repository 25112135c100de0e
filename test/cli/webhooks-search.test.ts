// The real pulumi CLI's `pulumi stack webhook …` (pkg/cmd/pulumi/stack/stack_webhook_*.go) and `pulumi org search`
// (pkg/cmd/pulumi/org/org_search.go) against this server, with a real receiver on loopback. Steps run in order.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { deploymentWith, importDeployment, stackResource } from '../support/state.js'
import { type TestServer, useTestServer } from '../support/test-server.js'
import { eventually } from '../support/update-uploads.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'
import { PulumiCli, realCliSkipReason } from './support/real-cli.js'

const SECRET = 'cli-hook-secret'
const STACK = 'acme/hooks/dev'

/** The CLI's own JSON of a hook (stack_webhook_get.go :: webhookGetJSON): id is the hook's name. */
interface Hook {
  id: string
  name: string
  url: string
  active: boolean
  events: string[]
  hasSecret: boolean
}

describe('real CLI: pulumi stack webhook and pulumi org search', {
  skip: realCliSkipReason(['pulumi']),
}, () => {
  let server: TestServer
  let cli: PulumiCli
  const receiver = new WebhookReceiver(SECRET)
  useTestServer({ args: ['-webhook-allow-private', '-webhook-poll-interval=50ms'] }, (s) => {
    server = s
  })
  before(async () => {
    await receiver.start()
    cli = new PulumiCli(server.url, server.token)
    await cli.login()
    cli.writeProject({ name: 'hooks' })
    await cli.run(['stack', 'init', STACK])
  })
  after(async () => {
    cli?.cleanup()
    await receiver.close()
  })

  let hookId = ''
  // A command line split on spaces, with ID, URL and SECRET filled in.
  const run = (line: string) =>
    cli.run(
      line
        .split(' ')
        .map((w) => (w === 'ID' ? hookId : w === 'URL' ? receiver.url : w === 'SECRET' ? SECRET : w)),
    )
  const json = async <T>(line: string) => JSON.parse((await run(line)).stdout) as T

  it('webhook new / list / get / edit', async () => {
    const created = await json<Hook>(
      'stack webhook new --name ci --url URL --secret SECRET --event update_succeeded --yes --output json',
    )
    // The CLI sends --name as the display name; the server names the hook (8 hex digits, as the Cloud does) and
    // the CLI shows that name as the hook's id.
    assert.equal(created.name, 'ci')
    assert.match(created.id, /^[0-9a-f]{8}$/)
    assert.equal(created.url, receiver.url)
    assert.equal(created.hasSecret, true)
    assert.deepEqual(created.events, ['update_succeeded'])
    hookId = created.id
    const listed = await json<{ webhooks: Hook[]; count: number }>('stack webhook list --output json')
    assert.deepEqual(
      listed.webhooks.map((h) => h.id),
      [hookId],
    )
    assert.match((await run('stack webhook list')).stdout, new RegExp(hookId))

    await run('stack webhook edit ID --add-event update_failed --active=false')
    const got = await json<Hook>('stack webhook get ID --output json')
    assert.equal(got.active, false)
    assert.deepEqual([...got.events].sort(), ['update_failed', 'update_succeeded'])
    assert.equal(got.hasSecret, true, 'an edit that does not name the secret keeps it')
  })

  it('webhook ping sends a signed request; delivery list and redeliver resend the same body', async () => {
    const ping = await run('stack webhook ping ID')
    assert.match(ping.stdout, /200/)
    await receiver.waitFor(1)
    const first = receiver.received[0]
    assert.equal(first?.signatureValid, true)
    assert.equal(first?.headers['pulumi-webhook-kind'], 'ping')

    const listed = (await run('stack webhook delivery list ID --output json')).stdout
    const eventId = String(first?.headers['pulumi-webhook-id'] ?? '')
    assert.ok(listed.includes(eventId), listed)
    await run(`stack webhook delivery redeliver ID ${eventId}`)
    await receiver.waitFor(2)
    assert.equal(receiver.received[1]?.body, first?.body)
    assert.equal(receiver.received[1]?.headers['pulumi-webhook-id'], eventId)
  })

  it('webhook remove', async () => {
    await run('stack webhook remove ID --yes')
    const listed = await json<{ webhooks: Hook[] | null }>('stack webhook list --output json')
    assert.deepEqual(listed.webhooks ?? [], [])
    const missing = await cli.run(['stack', 'webhook', 'get', hookId], { allowFailure: true })
    assert.notEqual(missing.code, 0)
    assert.match(missing.stderr, /not found/i)
  })

  it('org search -q finds resources of the latest state, in JSON and as a table', async () => {
    const bucket = {
      urn: 'urn:pulumi:dev::hooks::aws:s3/bucket:Bucket::logs',
      custom: true,
      id: 'logs-1234',
      type: 'aws:s3/bucket:Bucket',
      inputs: {},
      outputs: {},
    }
    await importDeployment(
      server.client,
      '/api/stacks/acme/hooks/dev',
      deploymentWith([stackResource('hooks', 'dev'), bucket]),
    )
    await eventually('the import in the search index', async () => {
      const found = await run('org search --org acme -q type:aws:s3/bucket:Bucket --output json')
      return found.stdout.includes('logs-1234') ? found : undefined
    })
    // Several -q are one query; a negated term goes as --query=-… (a bare leading '-' would read as a flag).
    const two = (
      await run('org search --org acme -q project:hooks --query=-type:pulumi:pulumi:Stack --output json')
    ).stdout
    assert.match(two, /logs-1234/)
    assert.doesNotMatch(two, /pulumi:pulumi:Stack/)
    const table = (await cli.run(['org', 'search', '--org', 'acme', '-q', 'logs'])).stdout
    assert.match(table, /aws:s3\/bucket:Bucket/)
    const bad = await cli.run(['org', 'search', '--org', 'acme', '-q', 'colour:red'], { allowFailure: true })
    assert.notEqual(bad.code, 0)
    assert.match(bad.stderr, /unknown search field 'colour'/)
    // Natural-language search needs Pulumi's AI: refused with the reason.
    const ai = await cli.run(['org', 'search', 'ai', '--org', 'acme', '-q', 'all buckets'], {
      allowFailure: true,
    })
    assert.notEqual(ai.code, 0)
    assert.match(ai.stderr, /AI\) is not provided by this server/)
  })
})
