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
import { after, describe, it } from 'node:test'
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
  const servers: ServerProcess[] = []
  after(async () => {
    for (const server of servers) await server.dispose()
  })

  it('keeps every acknowledged journal batch and checkpoint across kill -9; the CLIs finish with their lease tokens', async () => {
    const server = new ServerProcess()
    servers.push(server)
    let cli = await server.start()
    const journaled: StackId = { org: 'acme', project: 'web', stack: 'journaled' }
    const checkpointed: StackId = { org: 'acme', project: 'web', stack: 'checkpointed' }
    await createStack(cli, journaled)
    await createStack(cli, checkpointed)

    // A journaled `pulumi up` halfway: several acknowledged batches (journal/snapshot.go sends one at a time).
    const up = await createAndStart(cli, journaled)
    assert.equal(up.journalVersion, 1)
    const entries = createEntries(journaled, 10)
    const half = 13
    for (let i = 0; i < half; i += 3) await sendJournal(cli, up, entries.slice(i, Math.min(i + 3, half)))

    // A checkpoint-mode update halfway: verbatim seq 1 and delta seq 2 acknowledged (snapshot.go :: Save).
    const fixture = deltaFixture()
    const text1 = Buffer.from(fixture.req1 ?? '')
    const text4 = applyEdits(applyEdits(applyEdits(text1, fixture.req2 ?? ''), fixture.req3 ?? ''), fixture.req4 ?? '')
    const cp = await createAndStart(cli, checkpointed, { journal: false })
    assert.equal(cp.journalVersion, 0)
    await patchUpdate(cli, cp, 'checkpointverbatim', verbatimBody(text1, 1))
    await patchUpdate(cli, cp, 'checkpointdelta', deltaBody(fixture.req2 ?? '', fixture['req2.hash'] ?? '', 2))

    await server.kill9()
    cli = await server.start()
    const onNewServer = (update: RunningUpdate): RunningUpdate => update // same ids, same lease tokens

    // The CLI retries the last batch whose answer it may have lost, then carries on.
    await sendJournal(cli, onNewServer(up), entries.slice(12, half))
    for (let i = half; i < entries.length; i += 3) await sendJournal(cli, onNewServer(up), entries.slice(i, i + 3))
    await complete(cli, onNewServer(up))

    // The delta baseline after the restart is the text acknowledged before it: seq 3's hash must verify.
    await patchUpdate(cli, cp, 'checkpointdelta', deltaBody(fixture.req3 ?? '', fixture['req3.hash'] ?? '', 3))
    await patchUpdate(cli, cp, 'checkpointdelta', deltaBody(fixture.req4 ?? '', fixture['req4.hash'] ?? '', 4, 4))
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
    const server = new ServerProcess(['-lease-duration=2s'])
    servers.push(server)
    let cli = await server.start()
    const stack: StackId = { org: 'acme', project: 'web', stack: 'abandoned' }
    await createStack(cli, stack)
    const up = await createAndStart(cli, stack)
    const entries = createEntries(stack, 4)
    await sendJournal(cli, up, entries.slice(0, 3))
    await sendJournal(cli, up, entries.slice(3, 7))

    await server.kill9()
    cli = await server.start()

    // Nobody comes back for the update: the expiry sweep ends it as failed with what it journaled.
    await eventually('the lease to expire after the restart', async () => {
      const status = await cli.call<{ status: string }>('GET', up.path)
      return status.body.status === 'failed' ? true : undefined
    })
    assert.deepEqual(names(await resourceUrns(cli, stack)), ['web-abandoned', 'r0', 'r1'])
    const summary = await cli.call<{ currentOperation?: unknown }>('GET', stackPath(stack))
    assert.equal(summary.body.currentOperation, undefined)
    const next = await createAndStart(cli, stack)
    assert.equal(next.version, 2)
    await complete(cli, next)
  })
})
