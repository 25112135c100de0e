// Checkpoint-mode updates (protocol §6): the CLI's verbatim + delta uploads (pkg/backend/httpstate/snapshot.go ::
// cloudSnapshotPersister.Save, diffs.go :: deploymentDiffState) and full checkpoints (client.go ::
// PatchUpdateCheckpoint), against a real update whose start answered journalVersion 0.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { CliClient } from '../support/cli-client.js'
import { useTestServer } from '../support/test-server.js'
import { complete, createAndStart, type RunningUpdate, type StackId } from '../support/update-driver.js'
import {
  applyEdits,
  assertClientError,
  createStack,
  deltaBody,
  deltaFixture,
  exportOf,
  fixtureState,
  patchUpdate,
  sha256Hex,
  verbatimBody,
} from '../support/update-uploads.js'

const fixture = deltaFixture()
// The recorded texts: req1 is the first verbatim upload; each later text is the previous one with reqN's edits.
const text1 = Buffer.from(fixture.req1 ?? '')
const text2 = applyEdits(text1, fixture.req2 ?? '')
const text3 = applyEdits(text2, fixture.req3 ?? '')
const text4 = applyEdits(text3, fixture.req4 ?? '')
const hash = (n: 2 | 3 | 4) => fixture[`req${n}.hash`] ?? ''
// Deployment schema version of each text (req4 introduces features and version 4).
const delta = (n: 2 | 3 | 4, seq: number = n, checkpointHash = hash(n)) =>
  deltaBody(fixture[`req${n}`] ?? '', checkpointHash, seq, n === 4 ? 4 : 3)

describe('checkpoint uploads', () => {
  let cli: CliClient
  let counter = 0

  useTestServer({}, (started) => {
    cli = started.client
  })

  /** A fresh stack and a running checkpoint-mode update on it (start without journalVersion, as with PULUMI_DISABLE_JOURNALING). */
  async function checkpointUpdate(): Promise<{ stack: StackId; update: RunningUpdate }> {
    const stack = { org: 'acme', project: 'web', stack: `cp${++counter}` }
    await createStack(cli, stack)
    const update = await createAndStart(cli, stack, { journal: false })
    assert.equal(
      update.journalVersion,
      0,
      'journalVersion omitted at start must be answered with 0 (checkpoints)',
    )
    return { stack, update }
  }

  it('the fixture texts hash to the recorded checkpointHash values (pins the test splicer)', () => {
    assert.equal(sha256Hex(text2), hash(2))
    assert.equal(sha256Hex(text3), hash(3))
    assert.equal(sha256Hex(text4), hash(4))
  })

  it('replays the recorded verbatim + delta requests and exports the final text byte for byte', async () => {
    const { stack, update } = await checkpointUpdate()
    await patchUpdate(cli, update, 'checkpointverbatim', verbatimBody(text1, 1))
    await patchUpdate(cli, update, 'checkpointdelta', delta(2))
    await patchUpdate(cli, update, 'checkpointdelta', delta(3))
    await patchUpdate(cli, update, 'checkpointdelta', delta(4))
    await complete(cli, update)

    const exported = await exportOf(cli, stack)
    assert.deepEqual(exported.json, JSON.parse(text4.toString('utf8')))
    assert.equal(exported.json.version, 4)
    assert.deepEqual(exported.json.features, ['refreshBeforeUpdate'])
    assert.equal(
      exported.raw.toString('utf8'),
      text4.toString('utf8'),
      'the canonical text is kept byte-exact',
    )
    // stack export --version 1 is the same state.
    assert.deepEqual((await exportOf(cli, stack, 1)).json, exported.json)
  })

  it('refuses a delta whose hash does not match with a 4xx and keeps the baseline', async () => {
    const { stack, update } = await checkpointUpdate()
    await patchUpdate(cli, update, 'checkpointverbatim', verbatimBody(text1, 1))
    await assertClientError(patchUpdate(cli, update, 'checkpointdelta', delta(2, 2, hash(3))))
    // The refused delta changed nothing: the running update's state (what export shows) is still text1...
    assert.equal((await exportOf(cli, stack)).raw.toString('utf8'), text1.toString('utf8'))
    // ...and the baseline is still text1: the correct delta against it now verifies.
    await patchUpdate(cli, update, 'checkpointdelta', delta(2))
    await complete(cli, update)
    assert.equal((await exportOf(cli, stack)).raw.toString('utf8'), text2.toString('utf8'))
  })

  it("accepts the CLI's fallback verbatim with the same sequence number after a refused delta", async () => {
    // snapshot.go :: Save: any PatchUpdateCheckpointDelta error → PatchUpdateCheckpointVerbatim, same sequence number.
    const { stack, update } = await checkpointUpdate()
    await patchUpdate(cli, update, 'checkpointverbatim', verbatimBody(text1, 1))
    await assertClientError(patchUpdate(cli, update, 'checkpointdelta', delta(2, 2, '0'.repeat(64))))
    await patchUpdate(cli, update, 'checkpointverbatim', verbatimBody(text2, 2))
    // The fallback text is the new baseline for the next delta.
    await patchUpdate(cli, update, 'checkpointdelta', delta(3))
    await complete(cli, update)
    const exported = await exportOf(cli, stack)
    assert.equal(exported.raw.toString('utf8'), text3.toString('utf8'))
    assert.deepEqual(
      (exported.json.deployment.resources ?? []).map((r) => r.urn),
      ['urn-1'],
    )
  })

  it('answers a retried delta (same sequence number, same hash) with 200 and changes nothing', async () => {
    // Delta PATCHes use retryAllMethods: a 5xx after the server applied it makes the CLI resend the same request.
    const { stack, update } = await checkpointUpdate()
    await patchUpdate(cli, update, 'checkpointverbatim', verbatimBody(text1, 1))
    await patchUpdate(cli, update, 'checkpointverbatim', verbatimBody(text1, 1))
    await patchUpdate(cli, update, 'checkpointdelta', delta(2))
    const retry = await patchUpdate(cli, update, 'checkpointdelta', delta(2))
    assert.equal(retry.status, 200)
    await patchUpdate(cli, update, 'checkpointdelta', delta(3))
    await complete(cli, update)
    assert.equal((await exportOf(cli, stack)).raw.toString('utf8'), text3.toString('utf8'))
  })

  it('refuses stale sequence numbers with a 4xx', async () => {
    const { stack, update } = await checkpointUpdate()
    await patchUpdate(cli, update, 'checkpointverbatim', verbatimBody(text1, 1))
    await patchUpdate(cli, update, 'checkpointdelta', delta(2))
    await patchUpdate(cli, update, 'checkpointdelta', delta(3))
    await assertClientError(patchUpdate(cli, update, 'checkpointverbatim', verbatimBody(text2, 2)))
    await assertClientError(patchUpdate(cli, update, 'checkpointdelta', delta(2)))
    // Same sequence number as the last accepted one but another hash: not a retry.
    await assertClientError(patchUpdate(cli, update, 'checkpointdelta', delta(3, 3, hash(2))))
    await patchUpdate(cli, update, 'checkpointdelta', delta(4))
    await complete(cli, update)
    assert.equal((await exportOf(cli, stack)).raw.toString('utf8'), text4.toString('utf8'))
  })

  it('refuses overlapping, reversed and out-of-range edits with 400', async () => {
    const { stack, update } = await checkpointUpdate()
    await patchUpdate(cli, update, 'checkpointverbatim', verbatimBody(text1, 1))
    const span = (start: number, end: number, text = '') => ({
      Span: {
        uri: '',
        start: { line: 1, column: 1, offset: start },
        end: { line: 1, column: 1, offset: end },
      },
      NewText: text,
    })
    const bad = [
      [span(0, 10), span(5, 15)],
      [span(20, 10)],
      [span(0, text1.length + 1)],
      [span(-1, 3)],
      [{ NewText: 'x' }],
    ]
    for (const edits of bad) {
      const body = deltaBody(JSON.stringify(edits), hash(2), 2)
      await assertClientError(patchUpdate(cli, update, 'checkpointdelta', body), 400)
    }
    await patchUpdate(cli, update, 'checkpointdelta', delta(2))
    await complete(cli, update)
    assert.equal((await exportOf(cli, stack)).raw.toString('utf8'), text2.toString('utf8'))
  })

  it('refuses a delta before any verbatim upload with a 4xx, then accepts the verbatim', async () => {
    const { stack, update } = await checkpointUpdate()
    await assertClientError(patchUpdate(cli, update, 'checkpointdelta', delta(2, 1)))
    await patchUpdate(cli, update, 'checkpointverbatim', verbatimBody(text1, 1))
    await complete(cli, update)
    assert.equal((await exportOf(cli, stack)).raw.toString('utf8'), text1.toString('utf8'))
  })

  it('keeps a verbatim text byte for byte (escapes, number spellings, integer-like keys, raw UTF-8)', async () => {
    const { stack, update } = await checkpointUpdate()
    // JSON.parse + JSON.stringify would turn \u003c into <, 1.50 into 1.5, 1e3 into 1000 and move "10" before "b".
    const text = Buffer.from(
      '{"version":3,"deployment":{"manifest":{"time":"2026-01-01T00:00:00Z","magic":"","version":""},' +
        '"metadata":{},"resources":[{"urn":"urn:pulumi:cp::web::t:index:R::r","custom":true,"id":"i",' +
        '"type":"t:index:R","outputs":{"b":"\\u003chtml\\u003e \\u0026 ünïcødé ✓","10":1.50,"2":1e3,"a":[]}}]}}',
      'utf8',
    )
    await patchUpdate(cli, update, 'checkpointverbatim', verbatimBody(text, 1))
    await complete(cli, update)
    const exported = await exportOf(cli, stack)
    assert.ok(exported.raw.equals(text), `export changed the bytes:\n${exported.raw.toString('utf8')}`)
  })

  it('exports the camelCase pendingOperations of a canonical text (more than 9) as pending_operations', async () => {
    // diffs.go :: marshalSpannedDeployment writes "pendingOperations" only when there are more than 9 (§6.2).
    const { stack, update } = await checkpointUpdate()
    const ops = Array.from({ length: 10 }, (_, i) => ({
      resource: { urn: `urn:pulumi:cp::web::t:index:R::p${i}`, custom: true, type: 't:index:R' },
      type: 'creating',
    }))
    const text = Buffer.from(
      `{"version":3,"deployment":{"manifest":{"time":"2026-01-01T00:00:00Z","magic":"","version":""},"metadata":{},` +
        `"resources":[{"urn":"urn:pulumi:cp::web::t:index:R::r","custom":true,"type":"t:index:R"}],` +
        `"pendingOperations":${JSON.stringify(ops)}}}`,
    )
    await patchUpdate(cli, update, 'checkpointverbatim', verbatimBody(text, 1))
    await complete(cli, update)
    const exported = await exportOf(cli, stack)
    assert.equal('pendingOperations' in exported.json.deployment, false)
    assert.deepEqual(exported.json.deployment.pending_operations, ops)
    // Only the key is renamed; every other byte is the CLI's.
    assert.equal(
      exported.raw.toString('utf8'),
      text.toString('utf8').replace('"pendingOperations"', '"pending_operations"'),
    )
  })
})

describe('full checkpoints', () => {
  let cli: CliClient

  useTestServer({}, (started) => {
    cli = started.client
  })

  it('stores PATCH checkpoint of a real state (idempotently) and exports it', async () => {
    const stack = { org: 'acme', project: 'eks', stack: 'full' }
    await createStack(cli, stack)
    const state = fixtureState('eks-cluster-3.0.0.json')
    const update = await createAndStart(cli, stack, { journal: false })
    assert.equal(update.journalVersion, 0)
    // apitype.PatchUpdateCheckpointRequest; the deployment is json.Marshal(DeploymentV3) (pending_operations).
    const deploymentJson = JSON.stringify(state.deployment)
    const body = Buffer.from(`{"isInvalid":false,"version":3,"deployment":${deploymentJson}}`)
    const first = fixtureState('eks-cluster-2.5.2.json')
    await patchUpdate(
      cli,
      update,
      'checkpoint',
      Buffer.from(`{"isInvalid":false,"version":3,"deployment":${JSON.stringify(first.deployment)}}`),
    )
    await patchUpdate(cli, update, 'checkpoint', body)
    await patchUpdate(cli, update, 'checkpoint', body) // retry: a full replacement is idempotent
    await complete(cli, update)

    const exported = await exportOf(cli, stack)
    assert.deepEqual(exported.json, state)
    // snapshot_test.go :: handleLastRequestAsRegular: {"version","deployment"} with the deployment bytes as sent.
    assert.equal(exported.raw.toString('utf8'), `{"version":3,"deployment":${deploymentJson}}`)
  })

  it('keeps version 4 and features of a full checkpoint', async () => {
    const stack = { org: 'acme', project: 'eks', stack: 'full4' }
    await createStack(cli, stack)
    const update = await createAndStart(cli, stack, { journal: false })
    const deployment = {
      manifest: { time: '2026-01-01T00:00:00Z', magic: '', version: '' },
      resources: [
        { urn: 'urn:pulumi:full4::eks::t:index:R::r', custom: true, type: 't:index:R', taint: true },
      ],
    }
    await cli.call('PATCH', `${update.path}/checkpoint`, {
      auth: { kind: 'update-token', token: update.token },
      gzip: true,
      body: { isInvalid: false, version: 4, features: ['taint'], deployment },
    })
    await complete(cli, update)
    const exported = await exportOf(cli, stack)
    assert.deepEqual(exported.json, { version: 4, features: ['taint'], deployment })
  })

  it('refuses checkpoints on a journaled update and journal entries on a checkpoint update', async () => {
    const stack = { org: 'acme', project: 'eks', stack: 'modes' }
    await createStack(cli, stack)
    const journaled = await createAndStart(cli, stack)
    assert.equal(journaled.journalVersion, 1)
    await assertClientError(patchUpdate(cli, journaled, 'checkpointverbatim', verbatimBody(text1, 1)))
    await complete(cli, journaled)
    const checkpointed = await createAndStart(cli, stack, { journal: false })
    await assertClientError(patchUpdate(cli, checkpointed, 'journalentries', Buffer.from('{"entries":[]}')))
    await complete(cli, checkpointed)
  })
})
