// The real pulumi CLI's `pulumi env` commands (pulumi/esc cmd/esc/cli, embedded in pulumi) against this server,
// and a stack whose Pulumi.<stack>.yaml imports an environment running `pulumi up` (the CLI resolves it through
// POST /api/esc/environments/{org}/yaml/open). Steps share one server and run in order.
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type TestServer, useTestServer } from '../support/test-server.js'
import { PulumiCli, realCliSkipReason, ref } from './support/real-cli.js'

const ENV = 'acme/proj/app'

describe('real CLI: pulumi env and stack environments', { skip: realCliSkipReason() }, () => {
  let server: TestServer
  let cli: PulumiCli
  useTestServer({}, (s) => {
    server = s
  })
  before(async () => {
    cli = new PulumiCli(server.url, server.token)
    await cli.login()
  })
  after(() => cli?.cleanup())

  it('env init, set (plain and --secret), get', async () => {
    await cli.run(['env', 'init', ENV])
    await cli.run(['env', 'set', ENV, 'greeting', 'hello'])
    await cli.run(['env', 'set', ENV, '--secret', 'password', 's3cr3t-value'])
    await cli.run(['env', 'set', ENV, 'environmentVariables.GREETING', ref('greeting')])
    await cli.run(['env', 'set', ENV, 'pulumiConfig.message', ref('greeting')])
    await cli.run(['env', 'set', ENV, 'pulumiConfig.password', ref('password')])

    const definition = (await cli.run(['env', 'get', ENV, '--definition'])).stdout
    assert.match(definition, /greeting: hello/)
    // The secret is stored and shown as ciphertext (fn::secret: {ciphertext: …}), never in plaintext.
    assert.match(definition, /fn::secret:\s*\n\s*ciphertext: \S+/)
    assert.doesNotMatch(definition, /s3cr3t-value/)

    const greeting = (await cli.run(['env', 'get', ENV, 'greeting', '--value', 'json'])).stdout
    assert.equal(JSON.parse(greeting), 'hello')
  })

  it('env open (whole and one path) decrypts secrets; env run exports environmentVariables', async () => {
    const opened = JSON.parse((await cli.run(['env', 'open', ENV])).stdout) as Record<string, unknown>
    assert.equal(opened.greeting, 'hello')
    assert.equal(opened.password, 's3cr3t-value')
    assert.deepEqual(opened.environmentVariables, { GREETING: 'hello' })
    const one = JSON.parse((await cli.run(['env', 'open', ENV, 'pulumiConfig.message'])).stdout)
    assert.equal(one, 'hello')

    const run = await cli.run(['env', 'run', ENV, '--', 'sh', '-c', 'echo "value=$GREETING"'])
    assert.match(run.stdout, /^value=hello$/m)
  })

  it('env version: history, tag a revision, open it by tag', async () => {
    const history = (await cli.run(['env', 'version', 'history', ENV, '--utc'])).stdout
    // init made revision 1, the five sets revisions 2–6; newest first.
    assert.match(history, /^revision 6\b/m)
    assert.match(history, /^revision 1\b/m)

    await cli.run(['env', 'version', 'tag', `${ENV}@stable`, '@2'])
    const tags = (await cli.run(['env', 'version', 'tag', 'ls', ENV, '--utc'])).stdout
    // A table: name, revision, modified, editor.
    assert.match(tags, /│ stable │\s+2 │.*│ alice <alice> │/)
    assert.match(tags, /│ latest │\s+6 │.*│ alice <alice> │/)
    // Revision 2 has only the greeting.
    const atStable = JSON.parse((await cli.run(['env', 'open', `${ENV}@stable`])).stdout)
    assert.deepEqual(atStable, { greeting: 'hello' })
  })

  it('env tag sets, lists and removes environment tags', async () => {
    await cli.run(['env', 'tag', ENV, 'team', 'platform'])
    const ls = (await cli.run(['env', 'tag', 'ls', ENV, '--utc'])).stdout
    assert.match(ls, /team/)
    assert.match(ls, /platform/)
    await cli.run(['env', 'tag', 'rm', ENV, 'team'])
    assert.doesNotMatch((await cli.run(['env', 'tag', 'ls', ENV, '--utc'])).stdout, /platform/)
  })

  it('a stack importing the environment gets its config in pulumi up', async () => {
    cli.writeProject({
      name: 'proj',
      config: { message: { type: 'string' }, password: { type: 'string' } },
      outputs: { message: ref('message'), password: ref('password') },
    })
    await cli.run(['stack', 'init', 'acme/proj/dev'])
    writeFileSync(join(cli.cwd, 'Pulumi.dev.yaml'), 'environment:\n  - proj/app\n')

    const config = (await cli.run(['config', '--json'])).stdout
    assert.equal((JSON.parse(config) as Record<string, { value?: string }>)['proj:message']?.value, 'hello')

    await cli.run(['up', '--yes', '--skip-preview'])
    const outputs = JSON.parse((await cli.run(['stack', 'output', '--json', '--show-secrets'])).stdout)
    assert.deepEqual(outputs, { message: 'hello', password: 's3cr3t-value' })
    // A secret from the environment stays secret in the stack's outputs.
    const shown = JSON.parse((await cli.run(['stack', 'output', '--json'])).stdout)
    assert.equal(shown.password, '[secret]')
  })

  it('env rm deletes a value, then the environment', async () => {
    await cli.run(['env', 'rm', ENV, 'environmentVariables', '--yes'])
    assert.doesNotMatch((await cli.run(['env', 'get', ENV, '--definition'])).stdout, /GREETING/)
    await cli.run(['env', 'rm', 'acme/proj/app', '--yes'])
    const ls = await cli.run(['env', 'ls'])
    assert.doesNotMatch(ls.stdout, /proj\/app/)
  })
})
