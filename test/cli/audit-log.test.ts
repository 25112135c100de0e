// The real pulumi CLI (npm run cli:install) reading the audit log: `pulumi org audit-log list|export` (v3.276.0
// calls /api/orgs/{org}/auditlogs/v2[/export] with eventFilter, userFilter, startTime as the lower and endTime as
// the upper bound, continuationToken).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startTestServer, type TestServer } from '../support/test-server.js'
import { PulumiCli, realCliSkipReason } from './support/real-cli.js'

describe('real CLI: pulumi org audit-log', { skip: realCliSkipReason() }, () => {
  let server: TestServer
  let cli: PulumiCli

  before(async () => {
    server = await startTestServer({})
    await server.client.call('POST', '/api/stacks/acme/audited', { body: { stackName: 'one' } })
    await server.client.call('PATCH', '/api/stacks/acme/audited/one/tags', { body: { a: 'b' } })
    cli = new PulumiCli(server.url, server.token)
    await cli.login()
  })
  after(async () => {
    cli?.cleanup()
    await server?.close()
  })

  const run = async (args: string[]) => {
    const result = await cli.run(['org', 'audit-log', ...args, '--org', 'acme'], { allowFailure: true })
    assert.equal(result.code, 0, result.stderr)
    return result.stdout
  }

  it('lists events filtered by event type and time range', async () => {
    // The CLI's JSON envelope: { events, count } (org_audit_log_list.go).
    type Listed = { events?: { event: string; description: string }[]; count: number }
    const listed = JSON.parse(
      await run(['list', '--event-type', 'createStack', '--output', 'json']),
    ) as Listed
    assert.deepEqual(
      listed.events?.map((e) => e.event),
      ['createStack'],
    )
    assert.match(listed.events?.[0]?.description ?? '', /acme\/audited\/one \(success, 200\)/)
    // --start-time is the lower bound: nothing happened after the year 2100.
    const later = JSON.parse(
      await run(['list', '--event-type', 'createStack', '--start-time', '4102444800', '--output', 'json']),
    ) as Listed
    assert.equal(later.count, 0)
  })

  it('exports CSV', async () => {
    const csv = await run(['export', '--event-type', 'updateStackTags'])
    const lines = csv.trim().split(/\r?\n/)
    assert.match(lines[0] ?? '', /^Timestamp,Seq,Event/)
    assert.equal(lines.filter((l) => l.includes(',updateStackTags,')).length, 1)
  })
})
