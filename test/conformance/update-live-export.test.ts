// The stack's state while an update runs (issue 7 §2, design §5): `GET …/export` (so `pulumi stack export` and
// `stack output`) answers the running update's latest acknowledged state, pending operations included, as Pulumi
// Cloud and the Go server do; also right after a restart (rebuilt from the durable log). `export/{N}` is unchanged.
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { describe, it } from 'node:test'
import type { CliClient } from '../support/cli-client.js'
import { startTestServer, useTestServer } from '../support/test-server.js'
import {
  complete,
  createAndStart,
  createEntries,
  type StackId,
  sendJournal,
} from '../support/update-driver.js'
import {
  createStack,
  exportOf,
  fixtureState,
  patchUpdate,
  recordedDeltaChain,
  resourceUrns,
  stackFactory,
  urnNames,
  verbatimBody,
} from '../support/update-uploads.js'

const pendingNames = async (cli: CliClient, stack: StackId) =>
  urnNames(
    ((await exportOf(cli, stack)).json.deployment.pending_operations ?? []).map((op) => op.resource.urn),
  )

const { text, delta } = recordedDeltaChain()

describe('export while an update runs', () => {
  let cli: CliClient
  useTestServer({}, (started) => {
    cli = started.client
  })
  const freshStack = stackFactory(() => cli, 'live')

  it('journaled: each acknowledged batch shows at once, pending operations included; export/N is unchanged', async () => {
    const stack = await freshStack()
    const first = await createAndStart(cli, stack)
    const entries = createEntries(stack, 3)
    assert.deepEqual(await resourceUrns(cli, stack), [], 'nothing uploaded yet: the state before the update')
    // Entries 1–6: secrets provider, root created, r0 created, r1 begun (a pending "creating" operation).
    await sendJournal(cli, first, entries.slice(0, 6))
    assert.deepEqual(urnNames(await resourceUrns(cli, stack)), ['web-live1', 'r0'])
    assert.deepEqual(await pendingNames(cli, stack), ['r1'])
    await sendJournal(cli, first, entries.slice(6, 8))
    assert.deepEqual(urnNames(await resourceUrns(cli, stack)), ['web-live1', 'r0', 'r1'])
    assert.deepEqual(await pendingNames(cli, stack), ['r2'])
    await sendJournal(cli, first, entries.slice(8))
    await complete(cli, first)
    const version1 = await exportOf(cli, stack, 1)
    assert.deepEqual(urnNames(await resourceUrns(cli, stack)), ['web-live1', 'r0', 'r1', 'r2'])

    // A second update: export follows it, export/1 stays what version 1 was.
    const second = await createAndStart(cli, stack)
    const more = createEntries(stack, 5).slice(0, 12)
    await sendJournal(cli, second, more)
    assert.deepEqual(await pendingNames(cli, stack), ['r4'])
    assert.deepEqual((await exportOf(cli, stack, 1)).raw, version1.raw)
    await complete(cli, second, 'failed')
    assert.deepEqual(await pendingNames(cli, stack), ['r4'], 'a failed update keeps its pending operations')
  })

  it('verbatim + delta checkpoints: export is the last acknowledged text', async () => {
    const stack = await freshStack()
    const update = await createAndStart(cli, stack, { journal: false })
    await patchUpdate(cli, update, 'checkpointverbatim', verbatimBody(text(1), 1))
    assert.equal((await exportOf(cli, stack)).raw.toString('utf8'), text(1).toString('utf8'))
    await patchUpdate(cli, update, 'checkpointdelta', delta(2))
    assert.equal((await exportOf(cli, stack)).raw.toString('utf8'), text(2).toString('utf8'))
    await patchUpdate(cli, update, 'checkpointdelta', delta(3))
    assert.equal((await exportOf(cli, stack)).raw.toString('utf8'), text(3).toString('utf8'))
    await complete(cli, update)
    assert.equal((await exportOf(cli, stack)).raw.toString('utf8'), text(3).toString('utf8'))
  })

  it('full checkpoints: export is the last acknowledged deployment', async () => {
    const stack = await freshStack()
    const update = await createAndStart(cli, stack, { journal: false })
    const state = fixtureState('eks-cluster-2.5.2.json')
    const body = Buffer.from(
      `{"isInvalid":false,"version":3,"deployment":${JSON.stringify(state.deployment)}}`,
    )
    await patchUpdate(cli, update, 'checkpoint', body)
    assert.deepEqual((await exportOf(cli, stack)).json, state)
    await complete(cli, update)
    assert.deepEqual((await exportOf(cli, stack)).json, state)
  })
})

describe('export while an update runs, after a restart', () => {
  it('rebuilds the running updates’ states from the durable log (journaled and checkpointed)', async () => {
    const first = await startTestServer()
    const journaled = { org: 'acme', project: 'web', stack: 'journaled' }
    const checkpointed = { org: 'acme', project: 'web', stack: 'checkpointed' }
    const entries = createEntries(journaled, 3)
    let up: Awaited<ReturnType<typeof createAndStart>>
    let cp: Awaited<ReturnType<typeof createAndStart>>
    try {
      for (const stack of [journaled, checkpointed]) await createStack(first.client, stack)
      up = await createAndStart(first.client, journaled)
      await sendJournal(first.client, up, entries.slice(0, 6))
      cp = await createAndStart(first.client, checkpointed, { journal: false })
      await patchUpdate(first.client, cp, 'checkpointverbatim', verbatimBody(text(1), 1))
      await patchUpdate(first.client, cp, 'checkpointdelta', delta(2))
    } finally {
      await first.app.close()
    }
    const second = await startTestServer({ dir: first.dir })
    try {
      const cli = second.client
      assert.deepEqual(urnNames(await resourceUrns(cli, journaled)), ['web-journaled', 'r0'])
      assert.deepEqual(await pendingNames(cli, journaled), ['r1'])
      assert.equal((await exportOf(cli, checkpointed)).raw.toString('utf8'), text(2).toString('utf8'))
      // The updates carry on from there.
      await sendJournal(cli, up, entries.slice(6))
      await complete(cli, up)
      assert.deepEqual(urnNames(await resourceUrns(cli, journaled)), ['web-journaled', 'r0', 'r1', 'r2'])
      await patchUpdate(cli, cp, 'checkpointdelta', delta(3))
      await complete(cli, cp)
      assert.equal((await exportOf(cli, checkpointed)).raw.toString('utf8'), text(3).toString('utf8'))
    } finally {
      await second.close()
      rmSync(first.dir, { recursive: true, force: true })
    }
  })
})
