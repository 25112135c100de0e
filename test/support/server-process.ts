// `node bin/pulumi-backend.js …` as an operator runs it, as a child process on a fixed port, database and master
// key: it can be SIGKILLed and started again on the same data (crash recovery), or run several times on one
// PostgreSQL database (replicas). Needs the compiled build (scripts/run-tests.mjs RUN_BIN builds it first).
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CliApiError, CliClient } from './cli-client.js'
import { testDatabase } from './test-server.js'
import { eventually } from './update-uploads.js'

const ROOT = new URL('../../', import.meta.url).pathname

export async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const address = probe.address()
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  assert.ok(address && typeof address === 'object')
  return address.port
}

export interface ServerProcessOptions {
  /** The -db value; default: the test database of this process's own directory (see testDatabase). */
  db?: string
  /** Replicas share one master key and one single-tenant token. */
  masterKey?: string
  token?: string
  extraArgs?: string[]
}

export class ServerProcess {
  readonly dir = mkdtempSync(join(tmpdir(), 'pulumi-backend-proc-'))
  readonly token: string
  readonly masterKey: string
  #child: ChildProcess | undefined
  #stderr = ''
  port = 0

  constructor(private readonly options: ServerProcessOptions = {}) {
    this.token = options.token ?? `proc-${randomBytes(8).toString('hex')}`
    this.masterKey = options.masterKey ?? randomBytes(32).toString('hex')
  }

  get client(): CliClient {
    return new CliClient(`http://127.0.0.1:${this.port}`, this.token)
  }

  get running(): boolean {
    const child = this.#child
    return child !== undefined && child.exitCode === null && child.signalCode === null
  }

  /** The last part of the process's stderr, for failure messages. */
  get logs(): string {
    return this.#stderr.slice(-4000)
  }

  async start(): Promise<CliClient> {
    if (this.port === 0) this.port = await freePort()
    const child = spawn(
      process.execPath,
      [
        'bin/pulumi-backend.js',
        `-addr=127.0.0.1:${this.port}`,
        `-db=${this.options.db ?? (await testDatabase(this.dir, 'backend.db'))}`,
        `-master-key=${this.masterKey}`,
        `-single-tenant-token=${this.token}`,
        '-org=acme',
        '-user=alice',
        ...(this.options.extraArgs ?? []),
      ],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_ENV: 'test' } },
    )
    this.#child = child
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-64_000)
    })
    const client = this.client
    await eventually(
      'the server to accept requests',
      async () => {
        if (child.exitCode !== null) assert.fail(`the server exited with ${child.exitCode}:\n${this.logs}`)
        try {
          return await client.call('GET', '/api/user')
        } catch (error) {
          if (error instanceof CliApiError) throw error
          return undefined
        }
      },
      60_000,
    )
    return client
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed. */
  async kill9(): Promise<void> {
    const child = this.#child
    if (!child || !this.running) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }

  async dispose(): Promise<void> {
    await this.kill9()
    rmSync(this.dir, { recursive: true, force: true })
  }
}
