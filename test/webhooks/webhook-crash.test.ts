// The server is killed (SIGKILL) while webhook events are queued and one is in flight; started again on the same
// database, it delivers every event: the outbox row was committed with the stack change, and a claim held by the
// dead process lapses so the event is taken up again.
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { type AddressInfo, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { CliApiError, CliClient } from '../support/cli-client.js'
import { eventually } from '../support/update-uploads.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'

const ROOT = new URL('../../', import.meta.url).pathname

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}

describe('webhooks survive a server SIGKILL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulumi-backend-hooks-crash-'))
  const token = `crash-${randomBytes(8).toString('hex')}`
  const masterKey = randomBytes(32).toString('hex')
  const receiver = new WebhookReceiver()
  let child: ChildProcess | undefined
  let port = 0

  async function start(): Promise<CliClient> {
    if (port === 0) port = await freePort()
    const args = [
      'bin/pulumi-backend.js',
      `-addr=127.0.0.1:${port}`,
      `-db=${join(dir, 'backend.db')}`,
      `-master-key=${masterKey}`,
      `-single-tenant-token=${token}`,
      '-org=acme',
      '-user=alice',
      '-webhook-allow-private',
      '-webhook-timeout=1s',
      '-webhook-retry-delay=100ms',
      '-webhook-poll-interval=50ms',
    ]
    let stderr = ''
    const started = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
    started.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString()
    })
    child = started
    const cli = new CliClient(`http://127.0.0.1:${port}`, token)
    await eventually('the server to answer', async () => {
      if (started.exitCode !== null) assert.fail(`the server exited:\n${stderr}`)
      try {
        return await cli.call('GET', '/api/user')
      } catch (error) {
        if (error instanceof CliApiError) throw error
        return undefined
      }
    })
    return cli
  }

  async function kill9(): Promise<void> {
    const running = child
    if (!running || running.exitCode !== null || running.signalCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    running.kill('SIGKILL')
    await exited
  }

  before(() => receiver.start())
  after(async () => {
    await kill9()
    await receiver.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('delivers every queued event after the restart', async () => {
    let cli = await start()
    await cli.call('POST', '/api/orgs/acme/hooks', { body: { name: 'all', payloadUrl: receiver.url } })
    // The receiver holds the first request without answering and fails the next ones: at the kill, one event is
    // claimed and in flight, the others wait for a retry.
    receiver.script.push('hang', 'fail', 'fail', 'fail', 'fail', 'fail')
    for (const name of ['a', 'b', 'c', 'd']) {
      await cli.call('POST', '/api/stacks/acme/web', { body: { stackName: name } })
    }
    await eventually('a failed delivery before the kill', async () =>
      receiver.received.length > 0 ? true : undefined,
    )
    await kill9()
    receiver.script.length = 0
    cli = await start()
    await eventually('every stack_created event', async () => {
      const names = new Set(
        receiver.received.filter((r) => r.json.action === 'created').map((r) => r.json.stackName),
      )
      return names.size === 4 ? names : undefined
    })
    // Delivery is at least once: each event is eventually answered 200 (a slow answer may also have been
    // recorded as a timeout and retried, so the count of successes per event is not asserted).
    await eventually('a successful delivery of each event', async () => {
      const deliveries = await cli.call<{ id: string; responseCode: number }[]>(
        'GET',
        '/api/orgs/acme/hooks/all/deliveries',
      )
      const succeeded = new Set(deliveries.body.filter((d) => d.responseCode === 200).map((d) => d.id))
      return succeeded.size === 4 ? succeeded : undefined
    })
  })
})
