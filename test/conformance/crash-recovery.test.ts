// The server process dies (kill -9) in the middle of updates and comes back on the same database: every upload it
// acknowledged must survive, the running CLIs carry on with the lease tokens they hold (state.go :: newUpdate keeps
// one token source per update), and an update whose CLI never comes back is ended by lease expiry (protocol §9.1).
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { CliApiError, CliClient } from '../support/cli-client.js'
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

const ROOT = new URL('../../', import.meta.url).pathname

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const address = probe.address()
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  assert.ok(address && typeof address === 'object')
  return address.port
}

/** `node bin/pulumi-backend.js …` as an operator runs it, on a fixed database file, port and master key. */
class ServerProcess {
  readonly dir = mkdtempSync(join(tmpdir(), 'pulumi-backend-crash-'))
  readonly token = `crash-${randomBytes(8).toString('hex')}`
  readonly masterKey = randomBytes(32).toString('hex')
  #child: ChildProcess | undefined
  #stderr = ''
  port = 0

  constructor(private readonly extraArgs: string[] = []) {}

  get client(): CliClient {
    return new CliClient(`http://127.0.0.1:${this.port}`, this.token)
  }

  async start(): Promise<CliClient> {
    if (this.port === 0) this.port = await freePort()
    const child = spawn(
      process.execPath,
      [
        'bin/pulumi-backend.js',
        `-addr=127.0.0.1:${this.port}`,
        `-db=${join(this.dir, 'backend.db')}`,
        `-master-key=${this.masterKey}`,
        `-single-tenant-token=${this.token}`,
        '-org=acme',
        '-user=alice',
        ...this.extraArgs,
      ],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_ENV: 'test' } },
    )
    this.#child = child
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr += chunk.toString('utf8')
    })
    const client = this.client
    await eventually('the server to accept requests', async () => {
      if (child.exitCode !== null) assert.fail(`the server exited with ${child.exitCode}:\n${this.#stderr}`)
      try {
        return await client.call('GET', '/api/user')
      } catch (error) {
        if (error instanceof CliApiError) throw error
        return undefined
      }
    })
    return client
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed. */
  async kill9(): Promise<void> {
    const child = this.#child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }

  async dispose(): Promise<void> {
    await this.kill9()
    rmSync(this.dir, { recursive: true, force: true })
  }
}

const names = (urns: string[]) => urns.map((u) => u.split('::').at(-1))

describe('crash recovery', () => {
  // One process, killed once. Short leases: the live updates renew theirs as the CLI does (token_source.go), the
  // abandoned one does not and must expire after the restart.
  const server = new ServerProcess(['-lease-duration=2s'])
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
