// The server as an operator runs it: `node bin/pulumi-backend.js …` as a child process.
import assert from 'node:assert/strict'
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { type AddressInfo, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { OPTIONS } from '../src/config/option-table.js'
import { CliClient } from './support/cli-client.js'

const root = new URL('..', import.meta.url).pathname
const bin = join(root, 'bin/pulumi-backend.js')
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m

/** The environment without any PULUMI_BACKEND_* the developer may have set, so only the test's options apply. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('PULUMI_BACKEND_')),
  )
  return { ...env, ...extra }
}

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs the binary to completion. */
function run(args: string[], env = cleanEnv()): Promise<Run> {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
  return finished(child, collect(child))
}

function collect(child: ChildProcess) {
  const out = { stdout: '', stderr: '' }
  child.stdout?.on('data', (chunk: Buffer) => {
    out.stdout += chunk.toString('utf8')
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    out.stderr += chunk.toString('utf8')
  })
  return out
}

function finished(child: ChildProcess, out: { stdout: string; stderr: string }): Promise<Run> {
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, ...out }))
  })
}

interface Server {
  child: ChildProcess
  url: string
  out: { stdout: string; stderr: string }
  exit: Promise<Run>
  stop(): Promise<Run>
}

/** Starts the server and waits for its "listening" log line, which carries the bound address (port 0 → real). */
async function startServer(args: string[], env = cleanEnv()): Promise<Server> {
  const child = spawn(process.execPath, [bin, '-addr=127.0.0.1:0', ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const out = collect(child)
  const exit = finished(child, out)
  const url = await new Promise<string>((resolve, reject) => {
    const scan = () => {
      for (const line of out.stderr.split('\n')) {
        if (!line.startsWith('{')) continue
        try {
          const record = JSON.parse(line) as { msg?: string; address?: string }
          if (record.msg === 'pulumi-backend listening' && record.address) return resolve(record.address)
        } catch {}
      }
    }
    child.stderr?.on('data', scan)
    void exit.then((result) => reject(new Error(`server exited early (${result.code}):\n${result.stderr}`)))
  })
  return {
    child,
    url,
    out,
    exit,
    async stop() {
      child.kill('SIGTERM')
      return exit
    },
  }
}

describe('pulumi-backend process', () => {
  let dir: string
  let db: string
  let masterKey: string
  let adminToken: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pulumi-backend-main-'))
    db = join(dir, 'server.db')
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('prints a generated master key and an admin token on first start, and the token logs in', async () => {
    const server = await startServer([`-db=${db}`])
    try {
      const key = /PULUMI_BACKEND_MASTER_KEY=([0-9a-f]{64})\b/.exec(server.out.stderr)
      assert.ok(key, `no master key in:\n${server.out.stderr}`)
      masterKey = key[1]!
      const token = /PULUMI_ACCESS_TOKEN=(\S+) pulumi login/.exec(server.out.stderr)
      assert.ok(token, `no admin token in:\n${server.out.stderr}`)
      adminToken = token[1]!
      const user = await new CliClient(server.url, adminToken).call<{ githubLogin: string }>(
        'GET',
        '/api/user',
      )
      assert.equal(user.status, 200)
      assert.equal(user.body.githubLogin, 'admin')
    } finally {
      const result = await server.stop()
      // SIGTERM is the normal way to stop a service: a clean exit, not a crash.
      assert.equal(result.code, 0, result.stderr)
      assert.doesNotMatch(result.stderr, STACK_FRAME)
    }
  })

  it('refuses to restart without the master key, saying what to do', async () => {
    const result = await run([`-db=${db}`, '-addr=127.0.0.1:0'])
    assert.notEqual(result.code, 0)
    assert.match(result.stderr, /master key/)
    assert.match(result.stderr, /-master-key|PULUMI_BACKEND_MASTER_KEY/)
    assert.doesNotMatch(result.stderr, STACK_FRAME)
    assert.doesNotMatch(result.stderr, /listening/)
  })

  it('refuses another master key', async () => {
    const result = await run([`-db=${db}`, '-addr=127.0.0.1:0', `-master-key=${'0'.repeat(64)}`])
    assert.notEqual(result.code, 0)
    assert.match(result.stderr, /master key does not match/)
    assert.doesNotMatch(result.stderr, STACK_FRAME)
  })

  it('restarts with the master key (from the environment), keeping tokens; `token create` mints a working one', async () => {
    const server = await startServer([`-db=${db}`], cleanEnv({ PULUMI_BACKEND_MASTER_KEY: masterKey }))
    try {
      assert.doesNotMatch(
        server.out.stderr,
        /PULUMI_BACKEND_MASTER_KEY=|admin access token/,
        'nothing is re-shown',
      )
      const admin = new CliClient(server.url, adminToken)
      assert.equal((await admin.call('GET', '/api/user')).status, 200)

      // The sub-command writes to the same database file while the server runs.
      const created = await run(['token', 'create', '-name=ci', `-db=${db}`])
      assert.equal(created.code, 0, created.stderr)
      const token = created.stdout.trim()
      assert.match(token, /^\S{32,}$/)
      const user = await new CliClient(server.url, token).call<{ githubLogin: string }>('GET', '/api/user')
      assert.equal(user.body.githubLogin, 'admin')
      await assert.rejects(new CliClient(server.url, `${token}x`).call('GET', '/api/user'), { status: 401 })
    } finally {
      const result = await server.stop()
      assert.equal(result.code, 0, result.stderr)
    }
  })

  it('exits 2 listing every configuration problem at once', async () => {
    const result = await run([`-db=${db}`, '-cache-size=x', '-bogus'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /-cache-size/)
    assert.match(result.stderr, /-bogus/)
    assert.doesNotMatch(result.stderr, STACK_FRAME)
  })

  it('names the address in use when the management listener cannot bind', async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const { port } = taken.address() as AddressInfo
    try {
      const result = await run([
        `-db=${join(dir, 'busy.db')}`,
        '-addr=127.0.0.1:0',
        `-master-key=${'ab'.repeat(32)}`,
        `-management-addr=127.0.0.1:${port}`,
      ])
      assert.equal(result.code, 1)
      assert.match(
        result.stderr,
        new RegExp(`127\\.0\\.0\\.1:${port} is already in use \\(see -addr and -management-addr\\)`),
      )
      assert.doesNotMatch(result.stderr, STACK_FRAME)
    } finally {
      taken.close()
    }
  })

  it('--help lists every PULUMI_BACKEND_* variable', async () => {
    const result = await run(['--help'])
    assert.equal(result.code, 0)
    for (const option of OPTIONS)
      assert.ok(result.stdout.includes(option.env), `${option.env} missing from help`)
    assert.match(result.stdout, /token create/)
  })

  it('serves HTTPS with -tls -cert -key', async (t) => {
    const certDir = join(dir, 'tls')
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' })
    } catch {
      t.skip('openssl is not installed; cannot generate a self-signed certificate')
      return
    }
    execFileSync('mkdir', ['-p', certDir])
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(certDir, 'key.pem'),
        '-out',
        join(certDir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
      ],
      { stdio: 'ignore' },
    )
    const server = await startServer([
      `-db=${db}`,
      `-master-key=${masterKey}`,
      '-tls',
      `-cert=${join(certDir, 'cert.pem')}`,
      `-key=${join(certDir, 'key.pem')}`,
    ])
    try {
      assert.match(server.url, /^https:\/\//)
      // As `pulumi login --insecure` would: TLS, without verifying the self-signed certificate.
      const user = await new CliClient(server.url, adminToken).call('GET', '/api/user')
      assert.equal(user.status, 200)
      await assert.rejects(
        new CliClient(server.url.replace('https:', 'http:'), adminToken).call('GET', '/api/user'),
      )
    } finally {
      const result = await server.stop()
      assert.equal(result.code, 0, result.stderr)
    }
  })
})
