// The server process dies (kill -9) in the middle of updates and comes back on the same database: every upload it
// acknowledged must survive, the running CLIs carry on with the lease tokens they hold (state.go :: newUpdate keeps
// one token source per update), and an update whose CLI never comes back is ended by lease expiry (protocol §9.1).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { CliClient } from '../support/cli-client.js'
import { ServerProcess } from '../support/server-process.js'
import {
  complete,
  createAndStart,
  createEntries,
  type RunningUpdate,
  type StackId,
  sendJournal,
  stackPath,
} from '../support/update-driver.js'
import {
  applyEdits,
  createStack,
  deltaBody,
  deltaFixture,
  eventually,
  exportOf,
  patchUpdate,
  resourceUrns,
  verbatimBody,
} from '../support/update-uploads.js'

const names = (urns: string[]) => urns.map((u) => u.split('::').at(-1))

describe('crash recovery', () => {
  // One process, killed once. Short leases: the live updates renew theirs as the CLI does (token_source.go), the
  // abandoned one does not and must expire after the restart.
  const server = new ServerProcess({ extraArgs: ['-lease-duration=2s'] })
  const fixture = deltaFixture()
  const text1 = Buffer.from(fixture.req1 ?? '')
  const text2 = applyEdits(text1, fixture.req2 ?? '')
  const text4 = applyEdits(
    applyEdits(applyEdits(text1, fixture.req2 ?? ''), fixture.req3 ?? ''),
    fixture.req4 ?? '',
  )
  const delta = (n: 2 | 3 | 4) =>
    deltaBody(fixture[`req${n}`] ?? '', fixture[`req${n}.hash`] ?? '', n, n === 4 ? 4 : 3)
  const journaled: StackId = { org: 'acme', project: 'web', stack: 'journaled' }
  const checkpointed: StackId = { org: 'acme', project: 'web', stack: 'checkpointed' }
  const abandonedStack: StackId = { org: 'acme', project: 'web', stack: 'abandoned' }
  const entries = createEntries(journaled, 10)
  const half = 13
  let cli: CliClient
  let up: RunningUpdate
  let cp: RunningUpdate
  let abandoned: RunningUpdate

  /** renew_lease with the 300 s the CLI asks for; the new token replaces the old one. */
  async function renewed(update: RunningUpdate): Promise<RunningUpdate> {
    const response = await cli.call<{ token: string }>('POST', `${update.path}/renew_lease`, {
      auth: { kind: 'update-token', token: update.token },
      body: { token: '', duration: 300 },
    })
    return { ...update, token: response.body.token }
  }

  before(async () => {
    cli = await server.start()
    for (const stack of [journaled, checkpointed, abandonedStack]) await createStack(cli, stack)

    // A journaled `pulumi up` halfway: several acknowledged batches (journal/snapshot.go sends one at a time).
    up = await renewed(await createAndStart(cli, journaled))
    assert.equal(up.journalVersion, 1)
    for (let i = 0; i < half; i += 3) await sendJournal(cli, up, entries.slice(i, Math.min(i + 3, half)))

    // A checkpoint-mode update halfway: verbatim seq 1 and delta seq 2 acknowledged (snapshot.go :: Save).
    cp = await renewed(await createAndStart(cli, checkpointed, { journal: false }))
    assert.equal(cp.journalVersion, 0)
    await patchUpdate(cli, cp, 'checkpointverbatim', verbatimBody(text1, 1))
    await patchUpdate(cli, cp, 'checkpointdelta', delta(2))

    // An update whose CLI dies with the server and never comes back.
    abandoned = await createAndStart(cli, abandonedStack)
    const lost = createEntries(abandonedStack, 4)
    await sendJournal(cli, abandoned, lost.slice(0, 3))
    await sendJournal(cli, abandoned, lost.slice(3, 7))

    await server.kill9()
    cli = await server.start()
  })
  after(() => server.dispose())

  it('right after kill -9 and a restart, export shows what each running update had acknowledged', async () => {
    // Entries 1–13: secrets provider, root, r0–r4 created.
    assert.deepEqual(names(await resourceUrns(cli, journaled)), [
      'web-journaled',
      ...Array.from({ length: 5 }, (_, i) => `r${i}`),
    ])
    assert.equal((await exportOf(cli, checkpointed)).raw.toString('utf8'), text2.toString('utf8'))
  })

  it('keeps every acknowledged journal batch and checkpoint across kill -9; the CLIs finish with their lease tokens', async () => {
    // The CLIs talk to the new process with the same update ids and lease tokens. A journal batch whose answer
    // was lost is resent, then the update carries on.
    await sendJournal(cli, up, entries.slice(12, half))
    for (let i = half; i < entries.length; i += 3) await sendJournal(cli, up, entries.slice(i, i + 3))
    await complete(cli, up)

    // A retried delta whose answer was lost is still recognised as a retry after the restart (200, no-op)...
    await patchUpdate(cli, cp, 'checkpointdelta', delta(2))
    // ...and the baseline is the text acknowledged before the crash: seq 3's hash must verify against it.
    await patchUpdate(cli, cp, 'checkpointdelta', delta(3))
    await patchUpdate(cli, cp, 'checkpointdelta', delta(4))
    await complete(cli, cp)

    const { json } = await exportOf(cli, journaled)
    assert.deepEqual(names((json.deployment.resources ?? []).map((r) => r.urn as string)), [
      'web-journaled',
      ...Array.from({ length: 10 }, (_, i) => `r${i}`),
    ])
    assert.deepEqual(json.deployment.resources?.[0]?.outputs, { count: 10 })
    assert.equal(json.deployment.pending_operations, undefined)
    assert.equal((await exportOf(cli, checkpointed)).raw.toString('utf8'), text4.toString('utf8'))
  })

  it('after kill -9 and a restart, lease expiry frees the stack and keeps the journaled resources', async () => {
    // Nobody comes back for the update: the expiry sweep ends it as failed with what it journaled.
    await eventually('the lease to expire after the restart', async () => {
      const status = await cli.call<{ status: string }>('GET', abandoned.path)
      return status.body.status === 'failed' ? true : undefined
    })
    assert.deepEqual(names(await resourceUrns(cli, abandonedStack)), ['web-abandoned', 'r0', 'r1'])
    const summary = await cli.call<{ currentOperation?: unknown }>('GET', stackPath(abandonedStack))
    assert.equal(summary.body.currentOperation, undefined)
    const next = await createAndStart(cli, abandonedStack)
    assert.equal(next.version, 2)
    await complete(cli, next)
  })
})
