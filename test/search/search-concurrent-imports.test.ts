// The search benchmark's import phase (bench/search.ts) as a test: stacks created and imported by four clients at
// once, then searched. On PostgreSQL these audited changes commit side by side; their audit appends once read the
// same chain tail and one failed on audit_events_pkey, a 500 for a valid import (fixed by the chain's advisory
// lock, SqlAuditStore.append). Run it there with PULUMI_BACKEND_TEST_DB=postgres.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { CliClient } from '../support/cli-client.js'
import { deploymentWith, importDeployment, stackResource } from '../support/state.js'
import { type TestServer, useTestServer } from '../support/test-server.js'

const STACKS = 24
const WORKERS = 4
const BUCKETS = 3

function bucket(stack: string, i: number) {
  return {
    urn: `urn:pulumi:${stack}::bulk::aws:s3/bucket:Bucket::b${i}`,
    custom: true,
    id: `${stack}-b${i}`,
    type: 'aws:s3/bucket:Bucket',
    inputs: {},
    outputs: {},
  }
}

describe('resource search after concurrent stack imports', () => {
  let cli: CliClient
  let server: TestServer
  useTestServer({}, (started) => {
    server = started
    cli = started.client
  })

  it('accepts every import and then finds every stack’s resources', async () => {
    let next = 0
    const worker = async () => {
      for (let i = next++; i < STACKS; i = next++) {
        const stack = `s${i}`
        await cli.call('POST', '/api/stacks/acme/bulk', { body: { stackName: stack } })
        const resources = Array.from({ length: BUCKETS }, (_, b) => bucket(stack, b))
        await importDeployment(
          cli,
          `/api/stacks/acme/bulk/${stack}`,
          deploymentWith([stackResource('bulk', stack), ...resources]),
        )
      }
    }
    await Promise.all(Array.from({ length: WORKERS }, worker))
    await server.app.jobs.runOnce()
    const answer = await cli.call<{ total: number }>(
      'GET',
      `/api/orgs/acme/search/resourcesv2?query=${encodeURIComponent('project:bulk type:aws:s3/bucket:Bucket')}`,
    )
    assert.equal(answer.body.total, STACKS * BUCKETS)
  })
})
