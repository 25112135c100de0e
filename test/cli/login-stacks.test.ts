// The real pulumi CLI (npm run cli:install) against this server: login, whoami, logout, the stack commands,
// secret config and the empty-checkout CI flow. Steps share one server and run in order.
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type TestServer, useTestServer } from '../support/test-server.js'
import { CLI_BIN, item, PulumiCli, realCliSkipReason, ref, stripAnsi } from './support/real-cli.js'

/** Why the pseudo-terminal login cannot run (no script(1) from util-linux), or undefined. */
function scriptMissing(): string | undefined {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' })
    return undefined
  } catch {
    return 'script(1) is not installed: no pseudo-terminal for the interactive login'
  }
}

describe('real CLI: login, stacks, config', { skip: realCliSkipReason() }, () => {
  let server: TestServer
  let cli: PulumiCli
  useTestServer({}, (s) => {
    server = s
  })
  before(() => {
    cli = new PulumiCli(server.url, server.token)
    cli.writeProject({
      name: 'proj',
      config: { dbPassword: { type: 'string' } },
      resources: { a: item('hello', { secret: ref('dbPassword') }) },
      outputs: { pw: ref('dbPassword'), value: ref('a.value') },
    })
  })
  after(() => cli?.cleanup())

  it('login with PULUMI_ACCESS_TOKEN, whoami -v', async () => {
    const login = await cli.login()
    // No console URL in the parentheses: the CLI derives one only for api.* hosts (client/console.go).
    assert.ok(login.stdout.includes(`Logged in to ${server.url} as alice (`), login.stdout)
    const whoami = await cli.run(['whoami', '-v'])
    assert.match(whoami.stdout, /^User: alice$/m)
    assert.match(whoami.stdout, /^Organizations: acme$/m)
    assert.match(whoami.stdout, /^Token type: personal/m)
    assert.match(whoami.stdout, /^Access token source: PULUMI_ACCESS_TOKEN$/m)
  })

  it('stack init / ls / select / tag', async () => {
    await cli.run(['stack', 'init', 'acme/proj/dev'])
    await cli.run(['stack', 'init', 'acme/proj/other'])
    const ls = JSON.parse((await cli.run(['stack', 'ls', '--json'])).stdout) as {
      name: string
      current: boolean
    }[]
    assert.deepEqual(ls.map((s) => s.name).sort(), ['dev', 'other'])
    assert.equal(ls.find((s) => s.current)?.name, 'other')
    // `stack rm` always clears the selected stack (stack_remove.go), so select afterwards.
    await cli.run(['stack', 'rm', '--yes', '--stack', 'acme/proj/other'])
    await cli.run(['stack', 'select', 'acme/proj/dev'])
    await cli.run(['stack', 'tag', 'set', 'owner', 'team-a'])
    assert.equal((await cli.run(['stack', 'tag', 'get', 'owner'])).stdout.trim(), 'team-a')
    const tags = JSON.parse((await cli.run(['stack', 'tag', 'ls', '--json'])).stdout) as Record<
      string,
      string
    >
    assert.equal(tags.owner, 'team-a')
    assert.equal(tags['pulumi:project'], 'proj')
    await cli.run(['stack', 'tag', 'rm', 'owner'])
    const missing = await cli.run(['stack', 'tag', 'get', 'owner'], { allowFailure: true })
    assert.notEqual(missing.code, 0)
    assert.match(missing.stderr, /stack tag 'owner' not found for stack 'dev'/)
  })

  it('config set --secret stores a service-encrypted value; config get decrypts it', async () => {
    await cli.run(['config', 'set', '--secret', 'dbPassword', 's3cr3t'])
    const file = readFileSync(join(cli.cwd, 'Pulumi.dev.yaml'), 'utf8')
    assert.match(file, /dbPassword:\s+secure: /)
    assert.ok(!file.includes('s3cr3t'))
    assert.equal((await cli.run(['config', 'get', 'dbPassword'])).stdout.trim(), 's3cr3t')
  })

  it('up, stack output (secret), history', async () => {
    await cli.run(['up', '--yes', '--skip-preview'])
    assert.equal((await cli.run(['stack', 'output', 'value'])).stdout.trim(), 'hello')
    const masked = JSON.parse((await cli.run(['stack', 'output', '--json'])).stdout) as Record<
      string,
      unknown
    >
    assert.equal(masked.pw, '[secret]')
    assert.equal((await cli.run(['stack', 'output', 'pw', '--show-secrets'])).stdout.trim(), 's3cr3t')
    await cli.run(['up', '--yes', '--skip-preview'])
    const history = JSON.parse((await cli.run(['stack', 'history', '--json'])).stdout) as {
      kind: string
      result: string
      resourceChanges?: Record<string, number>
    }[]
    assert.deepEqual(
      history.map((h) => [h.kind, h.result]),
      [
        ['update', 'succeeded'],
        ['update', 'succeeded'],
      ],
    )
    assert.equal(history[1]?.resourceChanges?.create, 2)
  })

  it('stack rename keeps state and secrets', async () => {
    await cli.run(['stack', 'rename', 'acme/proj/prod'])
    const ls = JSON.parse((await cli.run(['stack', 'ls', '--json'])).stdout) as { name: string }[]
    assert.deepEqual(
      ls.map((s) => s.name),
      ['prod'],
    )
    assert.equal((await cli.run(['config', 'get', 'dbPassword'])).stdout.trim(), 's3cr3t')
    assert.equal((await cli.run(['stack', 'output', 'pw', '--show-secrets'])).stdout.trim(), 's3cr3t')
  })

  it('empty-checkout CI flow: only PULUMI_ACCESS_TOKEN, stack select, up; secrets decrypt', async () => {
    const ci = new PulumiCli(server.url, server.token)
    try {
      mkdirSync(ci.cwd, { recursive: true })
      for (const file of ['Pulumi.yaml', 'Pulumi.prod.yaml'])
        copyFileSync(join(cli.cwd, file), join(ci.cwd, file))
      ci.defaultEnv = { PULUMI_BACKEND_URL: server.url }
      await ci.run(['stack', 'select', 'acme/proj/prod'])
      const up = await ci.run(['up', '--yes', '--skip-preview'])
      assert.doesNotMatch(up.stdout + up.stderr, /passphrase/i)
      assert.equal((await ci.run(['config', 'get', 'dbPassword'])).stdout.trim(), 's3cr3t')
      assert.equal((await ci.run(['stack', 'output', 'pw', '--show-secrets'])).stdout.trim(), 's3cr3t')
    } finally {
      ci.cleanup()
    }
  })

  it('stack rm refuses a stack with resources, then works after destroy', async () => {
    const refused = await cli.run(['stack', 'rm', '--yes'], { allowFailure: true })
    assert.notEqual(refused.code, 0)
    assert.match(refused.stderr, /still has resources/)
    await cli.run(['destroy', '--yes', '--skip-preview'])
    await cli.run(['stack', 'rm', '--yes'])
    const ls = JSON.parse((await cli.run(['stack', 'ls', '--json'])).stdout) as unknown[]
    assert.deepEqual(ls, [])
  })

  it('login interactively: the token pasted at the prompt (in a pseudo-terminal)', {
    skip: scriptMissing(),
  }, async () => {
    const fresh = new PulumiCli(server.url, server.token)
    try {
      const env: Record<string, string> = fresh.env({ TERM: 'xterm' })
      delete env.PULUMI_ACCESS_TOKEN
      // script(1) gives the CLI a terminal, so it prompts instead of requiring PULUMI_ACCESS_TOKEN.
      const child = spawn(
        'script',
        ['-qefc', `${join(CLI_BIN, 'pulumi')} login ${server.url}`, '/dev/null'],
        {
          cwd: fresh.cwd,
          env,
        },
      )
      let out = ''
      let pasted = false
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk
        // Answer the terminal queries the CLI sends (background colour, cursor position) as a terminal
        // would, or it waits for them to time out.
        if (chunk.includes('\u001b]11;?')) child.stdin.write('\u001b]11;rgb:0000/0000/0000\u001b\\')
        if (chunk.includes('\u001b[6n')) child.stdin.write('\u001b[1;1R')
        if (!pasted && /access token/i.test(out)) {
          pasted = true
          child.stdin.write(`${server.token}\r`)
        }
      })
      const code = await new Promise((resolve) => child.once('close', resolve))
      assert.equal(code, 0, out)
      assert.ok(stripAnsi(out).includes(`Logged in to ${server.url} as alice`), out)
      assert.match((await fresh.run(['whoami'], { env: { PULUMI_ACCESS_TOKEN: '' } })).stdout, /alice/)
    } finally {
      fresh.cleanup()
    }
  })

  it('logout forgets the credentials', async () => {
    const logout = await cli.run(['logout'])
    assert.match(logout.stdout, /Logged out of/)
    const file = join(cli.home, 'credentials.json')
    const credentials = (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {}) as {
      current?: string
      accessTokens?: Record<string, string>
    }
    assert.equal(credentials.current ?? '', '')
    assert.equal(credentials.accessTokens?.[server.url], undefined)
  })
})
