// The real pulumi CLI (npm run cli:install) against a multi-user server with -rbac-config: `pulumi stack init
// --teams` grants the named teams write on the new stack (stack_new.go: "permission to read and update this
// stack"), and `pulumi org member list` reads the members view.
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { SignJWT } from 'jose'
import { assertApiError } from '../support/assert-api-error.js'
import { CliClient } from '../support/cli-client.js'
import { startTestServer, type TestServer } from '../support/test-server.js'
import { item, PulumiCli, realCliSkipReason } from './support/real-cli.js'

const SECRET = 'a-shared-hmac-secret-of-at-least-32-characters'
const POLICY = 'defaultPermission: read\ngroupRoles:\n  - { group: developers, permission: write }\n'

describe('real CLI: stack init --teams, org member list', { skip: realCliSkipReason() }, () => {
  let server: TestServer
  let cli: PulumiCli
  const jwt = (sub: string, groups: string[]) =>
    new SignJWT({ sub, groups })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(SECRET))

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rbac-cli-'))
    writeFileSync(join(dir, 'rbac.yaml'), POLICY)
    server = await startTestServer({
      dir,
      args: ['-auth-mode=jwt', `-jwt-signing-key=${SECRET}`, `-rbac-config=${join(dir, 'rbac.yaml')}`],
    })
    cli = new PulumiCli(server.url, await jwt('dave', ['developers', 'blue']))
    cli.writeProject({ name: 'proj', resources: { a: item('hello') } })
    await cli.login()
  })
  after(async () => {
    cli?.cleanup()
    await server?.close()
  })

  it('grants the named teams write on the new stack', async () => {
    await cli.run(['stack', 'init', 'acme/proj/dev', '--teams', 'blue'])
    const bella = new CliClient(server.url, await jwt('bella', ['blue']))
    await bella.call('PATCH', '/api/stacks/acme/proj/dev/tags', { body: { owner: 'blue' } })
    const rita = new CliClient(server.url, await jwt('rita', []))
    await assertApiError(rita.call('PATCH', '/api/stacks/acme/proj/dev/tags', { body: { a: 'b' } }), 403)
    const team = (
      await bella.call<{ stacks: { stackName: string; permission: number }[] }>(
        'GET',
        '/api/orgs/acme/teams/blue',
      )
    ).body
    assert.deepEqual(
      team.stacks.map((s) => [s.stackName, s.permission]),
      [['dev', 102]],
    )
    // A team the creator is not in is refused, with the reason.
    const refused = await cli.run(['stack', 'init', 'acme/proj/other', '--teams', 'green'], {
      allowFailure: true,
    })
    assert.notEqual(refused.code, 0)
    assert.match(refused.stderr, /you are not in 'green'/)
  })

  it('pulumi org member list shows the caller', async () => {
    const list = await cli.run(['org', 'member', 'list', '--org', 'acme', '--output', 'json'], {
      allowFailure: true,
    })
    assert.equal(list.code, 0, list.stderr)
    assert.match(list.stdout, /"dave"/)
  })
})
