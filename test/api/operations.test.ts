import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { CliClient } from '../support/cli-client.js'
import { type TestServer, testDialect, useTestServer } from '../support/test-server.js'

describe('operations', () => {
  let server: TestServer
  let cli: CliClient
  useTestServer({}, (started) => {
    server = started
    cli = started.client
  })

  it('reports its own handling time in Server-Timing on every response', async () => {
    for (const response of [await cli.call('GET', '/healthz'), await cli.call('GET', '/api/user')]) {
      assert.match(String(response.headers['server-timing']), /^app;dur=\d+(\.\d+)?$/)
    }
  })

  const walSkip = testDialect === 'postgres' && 'SQLite only (this run uses PostgreSQL)'
  it('checkpoints the WAL into the database file from its worker thread', { skip: walSkip }, async () => {
    // SQLite's own auto-checkpoint is off (src/db/database.ts); without the worker, these writes would stay in
    // the -wal file and the main file would not grow.
    const before = statSync(server.dbPath).size
    const payload = Buffer.from(
      JSON.stringify({ version: 3, deployment: { resources: [], pad: 'x'.repeat(2e6) } }),
    )
    await cli.call('POST', '/api/stacks/acme/ops', { body: { stackName: 'wal' } })
    await cli.call('POST', '/api/stacks/acme/ops/wal/import', { rawBody: payload, gzip: true })
    for (let i = 0; i < 50 && statSync(server.dbPath).size <= before; i++) await sleep(100)
    assert.ok(statSync(server.dbPath).size > before, 'the database file grew: the WAL was checkpointed')
  })
})
