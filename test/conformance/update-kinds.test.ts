// Every kind of update the CLI runs (protocol §4.5 L1, §10): `pulumi preview`, `up`, `refresh`, `destroy`,
// `import`, and how they land in history (§4.6). Journal entries have the shapes pkg/engine/journal_snapshot.go
// emits (§7.4); replay semantics are pkg/backend/journal.go :: JournalReplayer.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { assertApiError } from '../support/assert-api-error.js'
import type { CliClient } from '../support/cli-client.js'
import { importDeployment } from '../support/state.js'
import { useTestServer } from '../support/test-server.js'
import {
  complete,
  createAndStart,
  type RunningUpdate,
  type StackId,
  sendEvents,
  sendJournal,
  stackPath,
} from '../support/update-driver.js'
import {
  assertClientError,
  createStack,
  exportOf,
  fixtureState,
  JournalWriter,
  resourceState,
  resourceUrns,
  rootUrn,
} from '../support/update-uploads.js'

interface HistoryEntry {
  kind: string
  result: string
  version: number
  resourceChanges?: Record<string, number>
  resourceCount?: number
  config: Record<string, unknown>
}

const rootState = (stack: StackId) => ({ urn: rootUrn(stack), custom: false, type: 'pulumi:pulumi:Stack' })

/** Sends a writer's pending entries in batches, as journal/snapshot.go :: sendBatches does (one at a time). */
async function flush(cli: CliClient, update: RunningUpdate, journal: JournalWriter, batchSize = 50) {
  const entries = journal.take()
  for (let i = 0; i < entries.length; i += batchSize)
    await sendJournal(cli, update, entries.slice(i, i + batchSize))
}

/** A journaled `pulumi up` creating the root stack and the given resources (in order) on an empty stack. */
async function deploy(cli: CliClient, stack: StackId, resources: Record<string, unknown>[]) {
  const update = await createAndStart(cli, stack)
  assert.equal(update.journalVersion, 1)
  const journal = new JournalWriter()
  journal.secretsManager(stack)
  journal.create(rootState(stack))
  for (const state of resources) journal.create(state)
  await flush(cli, update, journal)
  await sendEvents(cli, update, [
    { sequence: 0, timestamp: 1, summaryEvent: { resourceChanges: { create: resources.length + 1 } } },
  ])
  await complete(cli, update)
  return update
}

/** Same steps for every resource of the stack's current state (in order), as the engine journals them. */
async function sameSteps(cli: CliClient, stack: StackId, journal: JournalWriter) {
  const { json } = await exportOf(cli, stack)
  ;(json.deployment.resources ?? []).forEach((state, index) => {
    journal.success(journal.begin(), { removeOld: index, state })
  })
}

async function history(cli: CliClient, stack: StackId, query = 'pageSize=10&page=1') {
  return (await cli.call<{ updates: HistoryEntry[] }>('GET', `${stackPath(stack)}/updates?${query}`)).body
    .updates
}

async function stackVersion(cli: CliClient, stack: StackId): Promise<number> {
  return (await cli.call<{ version: number }>('GET', stackPath(stack))).body.version
}

/** A journal that keeps the base's root and `a` (same steps, base indexes 0 and 1) and creates `b`. */
function keepRootAndACreateB(stack: StackId): JournalWriter {
  const journal = new JournalWriter()
  journal.secretsManager(stack)
  const rootOp = journal.begin()
  journal.success(rootOp, { removeOld: 0, state: rootState(stack) })
  const aOp = journal.begin()
  journal.success(aOp, { removeOld: 1, state: resourceState(stack, 'a') })
  journal.create(resourceState(stack, 'b'))
  return journal
}

describe('update kinds', () => {
  let cli: CliClient

  useTestServer({}, (started) => {
    cli = started.client
  })

  it('pulumi preview: current version, no history row, no lock (an update runs meanwhile), never journals', async () => {
    const stack = { org: 'acme', project: 'web', stack: 'preview' }
    await createStack(cli, stack)
    await deploy(cli, stack, [resourceState(stack, 'a')])
    const preview = await createAndStart(cli, stack, { kind: 'preview', dryRun: true })
    assert.equal(preview.version, 1, 'a preview reports the current version')
    assert.equal(preview.journalVersion, 0)
    assert.ok(preview.token.length > 0)

    // The preview holds no lock: `pulumi up` can start and finish while it runs.
    const update = await createAndStart(cli, stack)
    assert.equal(update.version, 2)
    const journal = keepRootAndACreateB(stack)
    await flush(cli, update, journal)
    await complete(cli, update)

    await sendEvents(cli, preview, [
      { sequence: 0, timestamp: 1, summaryEvent: { resourceChanges: { same: 2 } } },
    ])
    await complete(cli, preview)
    // A preview of `pulumi refresh` (own endpoint, options.dryRun) behaves the same.
    const refreshPreview = await createAndStart(cli, stack, { kind: 'refresh', dryRun: true })
    assert.equal(refreshPreview.version, 2)
    assert.equal(refreshPreview.journalVersion, 0)
    await complete(cli, refreshPreview)

    assert.equal(await stackVersion(cli, stack), 2)
    const rows = await history(cli, stack)
    assert.deepEqual(
      rows.map((r) => [r.version, r.kind]),
      [
        [2, 'update'],
        [1, 'update'],
      ],
    )
    assert.deepEqual(
      (await resourceUrns(cli, stack)).map((u) => u.split('::').at(-1)),
      ['web-preview', 'a', 'b'],
    )
  })

  it('pulumi refresh: RefreshSuccess entries (one deleting a resource) and RebuiltBaseState', async () => {
    const stack = { org: 'acme', project: 'web', stack: 'refresh' }
    await createStack(cli, stack)
    const a = resourceState(stack, 'a')
    const b = resourceState(stack, 'b')
    const c = resourceState(stack, 'c', {
      dependencies: [a.urn, b.urn],
      propertyDependencies: { x: [a.urn, b.urn] },
    })
    await deploy(cli, stack, [a, b, c])

    const update = await createAndStart(cli, stack, { kind: 'refresh' })
    assert.equal(update.journalVersion, 1)
    const journal = new JournalWriter()
    journal.secretsManager(stack)
    const base = [rootState(stack), a, b, c]
    base.forEach((old, index) => {
      const op = journal.begin()
      // journal_snapshot.go: refresh steps end with kind 3, without state when the resource is gone.
      if (old === b) journal.entry({ kind: 3, operationID: op, removeOld: index, isRefresh: true })
      else {
        const state = old.type === 'pulumi:pulumi:Stack' ? old : { ...old, outputs: { result: 'refreshed' } }
        journal.entry({ kind: 3, operationID: op, removeOld: index, isRefresh: true, state })
      }
    })
    journal.entry({ kind: 7, operationID: 0 })
    await flush(cli, update, journal, 3)
    await complete(cli, update)

    const { json } = await exportOf(cli, stack)
    const resources = json.deployment.resources ?? []
    assert.deepEqual(
      resources.map((r) => (r.urn as string).split('::').at(-1)),
      ['web-refresh', 'a', 'c'],
    )
    assert.deepEqual(resources[1]?.outputs, { result: 'refreshed' })
    // journal.go :: rebuildDependencies drops references to the deleted resource.
    assert.deepEqual(resources[2]?.dependencies, [a.urn])
    assert.deepEqual(resources[2]?.propertyDependencies, { x: [a.urn] })
    const [row] = await history(cli, stack, 'pageSize=1&page=1')
    assert.equal(row?.kind, 'refresh')
    assert.equal(row?.result, 'succeeded')
    assert.equal(row?.resourceCount, 3)
  })

  it('pulumi destroy: deleting entries empty the stack, then stack rm (force=false) succeeds', async () => {
    const stack = { org: 'acme', project: 'web', stack: 'destroy' }
    await createStack(cli, stack)
    const a = resourceState(stack, 'a')
    const b = resourceState(stack, 'b', { dependencies: [a.urn] })
    await deploy(cli, stack, [a, b])
    await assertApiError(
      cli.call('DELETE', `${stackPath(stack)}?force=false`),
      400,
      'Bad Request: Stack still contains resources.',
    )

    const update = await createAndStart(cli, stack, { kind: 'destroy' })
    const journal = new JournalWriter()
    journal.secretsManager(stack)
    // Dependents first; removeOld indexes the base [root, a, b].
    for (const [index, old] of [
      [2, b],
      [1, a],
      [0, rootState(stack)],
    ] as const) {
      const op = journal.begin({ type: 'deleting', resource: old })
      journal.success(op, { removeOld: index })
    }
    await flush(cli, update, journal, 2)
    await complete(cli, update)

    assert.deepEqual(await resourceUrns(cli, stack), [])
    const [row] = await history(cli, stack, 'pageSize=1&page=1')
    assert.equal(row?.kind, 'destroy')
    assert.equal(row?.resourceCount, 0)
    await cli.call('DELETE', `${stackPath(stack)}?force=false`)
    await assertApiError(cli.call('GET', stackPath(stack)), 404)
  })

  it('pulumi import: an update whose steps import resources (operation type importing)', async () => {
    const stack = { org: 'acme', project: 'web', stack: 'import' }
    await createStack(cli, stack)
    await deploy(cli, stack, [])
    // client.go :: CreateUpdate sends kind resource-import to /update.
    const update = await createAndStart(cli, stack, { kind: 'update' })
    const journal = new JournalWriter()
    journal.secretsManager(stack)
    const rootOp = journal.begin()
    journal.success(rootOp, { removeOld: 0, state: rootState(stack) })
    const imported = resourceState(stack, 'imported', { importID: 'existing-id', id: 'existing-id' })
    const op = journal.begin({ type: 'importing', resource: imported })
    journal.success(op, { state: imported })
    await flush(cli, update, journal)
    await complete(cli, update)

    const { json } = await exportOf(cli, stack)
    assert.deepEqual(json.deployment.resources?.[1], imported)
    assert.equal(json.deployment.pending_operations, undefined)
    const [row] = await history(cli, stack, 'pageSize=1&page=1')
    assert.equal(row?.kind, 'update')
    assert.equal(row?.version, 2)
  })

  it('updates, replaces and deletes resources of an imported real state by base index', async () => {
    const stack = { org: 'acme', project: 'example-cluster', stack: 'test' }
    await createStack(cli, stack)
    const state = fixtureState('eks-cluster-3.0.0.json')
    await importDeployment(cli, stackPath(stack), state)
    const base = state.deployment.resources as Record<string, unknown>[]
    const [updated, replaced, deleted] = [1, 144, base.length - 1]

    const update = await createAndStart(cli, stack)
    assert.equal(update.version, 2)
    const journal = new JournalWriter()
    journal.entry({ kind: 6, operationID: 0, secretsProvider: state.deployment.secrets_providers })
    const expected: Record<string, unknown>[] = []
    const replacement = { ...base[replaced], id: 'replacement-id', outputs: { replaced: true } }
    base.forEach((old, index) => {
      if (index === updated) {
        const next = { ...old, outputs: { ...(old.outputs as object), updated: true } }
        const op = journal.begin({ type: 'updating', resource: next })
        journal.success(op, { removeOld: index, state: next })
        expected.push(next)
      } else if (index === replaced) {
        // create-replacement: the new resource, and the old one marked for deletion (deleteOld).
        const op = journal.begin({ type: 'creating', resource: replacement })
        journal.success(op, { state: replacement, deleteOld: index })
        expected.push(replacement)
      } else if (index !== deleted) {
        const op = journal.begin()
        journal.success(op, { removeOld: index, state: old })
        expected.push(old)
      }
    })
    await flush(cli, update, journal)
    // delete-replaced and delete steps run last (removeOld of the same base indexes).
    for (const index of [replaced, deleted]) {
      const op = journal.begin({ type: 'deleting', resource: base[index] as Record<string, unknown> })
      journal.success(op, { removeOld: index })
    }
    await flush(cli, update, journal)
    await complete(cli, update)

    const { json } = await exportOf(cli, stack)
    assert.equal(json.version, 3)
    assert.deepEqual(json.deployment.secrets_providers, state.deployment.secrets_providers)
    assert.deepEqual(json.deployment.resources, expected)
    // The imported version is untouched.
    assert.deepEqual((await exportOf(cli, stack, 1)).json, state)
  })

  it('a failed step: complete(failed) keeps everything journaled before, pending Begin entries become pending_operations', async () => {
    const stack = { org: 'acme', project: 'web', stack: 'failed' }
    await createStack(cli, stack)
    await deploy(cli, stack, [resourceState(stack, 'a')])
    const update = await createAndStart(cli, stack)
    const journal = keepRootAndACreateB(stack)
    const failing = journal.begin({ type: 'creating', resource: resourceState(stack, 'c') })
    journal.entry({ kind: 2, operationID: failing })
    const unfinished = resourceState(stack, 'd')
    journal.begin({ type: 'creating', resource: unfinished })
    await flush(cli, update, journal, 2)
    await complete(cli, update, 'failed')

    const { json } = await exportOf(cli, stack)
    assert.deepEqual(
      (json.deployment.resources ?? []).map((r) => (r.urn as string).split('::').at(-1)),
      ['web-failed', 'a', 'b'],
    )
    assert.deepEqual(json.deployment.pending_operations, [{ resource: unfinished, type: 'creating' }])
    const [row] = await history(cli, stack, 'pageSize=1&page=1')
    assert.deepEqual([row?.version, row?.result], [2, 'failed'])
  })
})

describe('update history', () => {
  let cli: CliClient
  const stack = { org: 'acme', project: 'web', stack: 'history' }
  const names = (urns: string[]) => urns.map((u) => u.split('::').at(-1))

  useTestServer({}, async (started) => {
    cli = started.client
    await createStack(cli, stack)
  })

  it('answers 404 for updates/latest of a stack that never had an update, and an empty first page', async () => {
    await assertApiError(cli.call('GET', `${stackPath(stack)}/updates/latest`), 404)
    assert.deepEqual(await history(cli, stack), [])
  })

  it('records kinds, results and versions 1..N (never reused) with a state per version', async () => {
    // v1: up creating a.
    const v1 = await deploy(cli, stack, [resourceState(stack, 'a')])
    // A created-but-never-started update that gets cancelled neither takes a version nor shows in history, and
    // does not become the stack's last update.
    const created = await cli.call<{ updateID: string }>('POST', `${stackPath(stack)}/update`, {
      body: { options: { dryRun: false } },
    })
    await cli.call('POST', `${stackPath(stack)}/update/${created.body.updateID}/cancel`)
    const summary = await cli.call<{ activeUpdate: string }>('GET', stackPath(stack))
    assert.equal(summary.body.activeUpdate, v1.id)

    // v2: up creating b, then failing.
    const failed = await createAndStart(cli, stack)
    assert.equal(failed.version, 2)
    let journal = new JournalWriter()
    journal.secretsManager(stack)
    await sameSteps(cli, stack, journal)
    journal.create(resourceState(stack, 'b'))
    await flush(cli, failed, journal)
    await complete(cli, failed, 'failed')

    // v3: up creating c, cancelled from another terminal.
    const cancelled = await createAndStart(cli, stack)
    assert.equal(cancelled.version, 3)
    journal = new JournalWriter()
    journal.secretsManager(stack)
    await sameSteps(cli, stack, journal)
    journal.create(resourceState(stack, 'c'))
    await flush(cli, cancelled, journal)
    await cli.call('POST', `${cancelled.path}/cancel`)

    // A preview in between takes no version.
    const preview = await createAndStart(cli, stack, { kind: 'preview', dryRun: true })
    assert.equal(preview.version, 3)
    await complete(cli, preview)

    // v4: refresh that changes nothing (no entries); v5: destroy of c.
    const refresh = await createAndStart(cli, stack, { kind: 'refresh' })
    assert.equal(refresh.version, 4)
    await complete(cli, refresh)
    const before = await resourceUrns(cli, stack)
    const destroy = await createAndStart(cli, stack, { kind: 'destroy' })
    assert.equal(destroy.version, 5)
    journal = new JournalWriter()
    journal.secretsManager(stack)
    const cIndex = names(before).indexOf('c')
    const { json: current } = await exportOf(cli, stack)
    ;(current.deployment.resources ?? []).forEach((state, index) => {
      if (index !== cIndex) journal.success(journal.begin(), { removeOld: index, state })
    })
    const op = journal.begin({ type: 'deleting', resource: resourceState(stack, 'c') })
    journal.success(op, { removeOld: cIndex })
    await flush(cli, destroy, journal)
    await sendEvents(cli, destroy, [
      { sequence: 0, timestamp: 1, summaryEvent: { resourceChanges: { delete: 1, same: 3 } } },
    ])
    await complete(cli, destroy)

    const rows = await history(cli, stack)
    assert.deepEqual(
      rows.map((r) => [r.version, r.kind, r.result]),
      [
        [5, 'destroy', 'succeeded'],
        [4, 'refresh', 'succeeded'],
        [3, 'update', 'failed'],
        [2, 'update', 'failed'],
        [1, 'update', 'succeeded'],
      ],
    )
    assert.deepEqual(rows[0]?.resourceChanges, { delete: 1, same: 3 })
    assert.deepEqual(rows[4]?.resourceChanges, { create: 2 })
    assert.deepEqual(rows[0]?.config, { 'web:greeting': { string: 'hello', secret: false, object: false } })
    assert.equal(await stackVersion(cli, stack), 5)

    // stack export --version N for each N.
    const states = []
    for (let v = 1; v <= 5; v++) states.push(names(await resourceUrns(cli, stack, v)))
    assert.deepEqual(states, [
      ['web-history', 'a'],
      ['web-history', 'a', 'b'],
      ['web-history', 'a', 'b', 'c'],
      ['web-history', 'a', 'b', 'c'],
      ['web-history', 'a', 'b'],
    ])
    await assertApiError(cli.call('GET', `${stackPath(stack)}/export/6`), 404)

    // The next update takes version 6: nothing is ever reused.
    const next = await createAndStart(cli, stack)
    assert.equal(next.version, 6)
    await complete(cli, next)
  })

  it('serves updates/latest and updates/{version} as {"info": UpdateInfo}', async () => {
    const latest = await cli.call<{ info: HistoryEntry }>('GET', `${stackPath(stack)}/updates/latest`)
    assert.equal(latest.body.info.version, 6)
    assert.equal(latest.body.info.kind, 'update')
    // client.go :: GetLatestConfiguration reads info.config.
    assert.deepEqual(latest.body.info.config, {
      'web:greeting': { string: 'hello', secret: false, object: false },
    })
    const third = await cli.call<{ info: HistoryEntry }>('GET', `${stackPath(stack)}/updates/3`)
    assert.deepEqual([third.body.info.version, third.body.info.result], [3, 'failed'])
    await assertApiError(cli.call('GET', `${stackPath(stack)}/updates/99`), 404)
    await assertClientError(cli.call('GET', `${stackPath(stack)}/updates/0`))
  })

  it('serves updates/{version}/summary as apitype.UpdateSummary', async () => {
    const first = await cli.call<Record<string, unknown>>('GET', `${stackPath(stack)}/updates/1/summary`)
    assert.deepEqual(Object.keys(first.body).sort(), ['endTime', 'resourceCount', 'result', 'startTime'])
    assert.equal(first.body.result, 'succeeded')
    // The same count as the history entry (the stack resource and the provider count too).
    const info = await cli.call<{ info: HistoryEntry }>('GET', `${stackPath(stack)}/updates/1`)
    assert.equal(first.body.resourceCount, info.body.info.resourceCount)
    assert.ok(Number(first.body.resourceCount) > 0)
    assert.ok(Number(first.body.endTime) >= Number(first.body.startTime))
    const third = await cli.call<{ result: string }>('GET', `${stackPath(stack)}/updates/3/summary`)
    assert.equal(third.body.result, 'failed')
    await assertApiError(cli.call('GET', `${stackPath(stack)}/updates/99/summary`), 404)
    await assertClientError(cli.call('GET', `${stackPath(stack)}/updates/x/summary`), 400)
  })

  it('pages 1-based, newest first; an out-of-range page is an empty list', async () => {
    const pages = []
    for (let page = 1; page <= 4; page++) {
      pages.push((await history(cli, stack, `pageSize=2&page=${page}`)).map((r) => r.version))
    }
    assert.deepEqual(pages, [[6, 5], [4, 3], [2, 1], []])
    assert.deepEqual(await history(cli, stack, 'pageSize=10&page=100'), [])
    assert.equal((await history(cli, stack, 'pageSize=1&page=1')).length, 1)
    await assertClientError(cli.call('GET', `${stackPath(stack)}/updates?pageSize=2&page=0`), 400)
  })
})
