import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { assertApiError } from '../support/assert-api-error.js'
import { CliApiError, type CliClient } from '../support/cli-client.js'
import { jwtClient } from '../support/jwt-client.js'
import { startTestServer, type TestServer } from '../support/test-server.js'

const SECRET = 'a-shared-hmac-secret-of-at-least-32-characters'
const POLICY = `
defaultPermission: read
groupRoles:
  - { group: developers, permission: write }
  - { group: ops, permission: admin }
stackPolicies:
  - { group: developers, stackPattern: "*/*/prod", permission: write, effect: deny }
  - { group: contractors, stackPattern: "acme/web/*", permission: read, effect: deny }
  - { group: contractors, projectPattern: "acme/open", permission: write }
`

describe('access control through the API (jwt mode, -rbac-config)', () => {
  let server: TestServer
  let dir: string
  const as = (sub: string, groups: string[]) => jwtClient(server.url, SECRET, { sub, groups })
  let reader: CliClient
  let writer: CliClient
  let admin: CliClient
  let contractor: CliClient
  const stack = '/api/stacks/acme/web/dev'
  const prod = '/api/stacks/acme/web/prod'

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rbac-'))
    writeFileSync(join(dir, 'rbac.yaml'), POLICY)
    server = await startTestServer({
      dir,
      args: ['-auth-mode=jwt', `-jwt-signing-key=${SECRET}`, `-rbac-config=${join(dir, 'rbac.yaml')}`],
    })
    reader = await as('rita', [])
    writer = await as('dave', ['developers'])
    admin = await as('olga', ['ops'])
    contractor = await as('carl', ['contractors'])
    for (const name of ['dev', 'prod']) {
      await admin.call('POST', '/api/stacks/acme/web', { body: { stackName: name } })
    }
  })
  after(() => server.close())

  it('a reader reads but cannot write, encrypt, cancel or delete', async () => {
    await reader.call('GET', stack)
    await assertApiError(
      reader.call('PATCH', `${stack}/tags`, { body: { a: 'b' } }),
      403,
      /require write on acme\/web\/dev, have read/,
    )
    await assertApiError(reader.call('POST', `${stack}/encrypt`, { body: { plaintext: 'eA==' } }), 403)
    await assertApiError(reader.call('POST', `${stack}/update/x/cancel`, { body: {} }), 403)
    await assertApiError(reader.call('DELETE', stack), 403)
    await assertApiError(reader.call('POST', '/api/stacks/acme/web', { body: { stackName: 'mine' } }), 403)
  })

  it('a writer writes but cannot delete or rename, and a deny keeps them off prod', async () => {
    await writer.call('POST', `${stack}/encrypt`, { body: { plaintext: 'eA==' } })
    await writer.call('POST', '/api/stacks/acme/web', { body: { stackName: 'feature' } })
    await assertApiError(writer.call('DELETE', stack), 403)
    await assertApiError(writer.call('POST', `${stack}/rename`, { body: { newName: 'x' } }), 403)
    await assertApiError(
      writer.call('POST', `${prod}/encrypt`, { body: { plaintext: 'eA==' } }),
      403,
      /have read/,
    )
    await writer.call('GET', prod)
  })

  it('an admin can delete and rename', async () => {
    await admin.call('POST', '/api/stacks/acme/web/feature/rename', { body: { newName: 'feature2' } })
    await admin.call('DELETE', '/api/stacks/acme/web/feature2')
  })

  it('hides what a caller may not read: 404 and absent from listings', async () => {
    await assertApiError(contractor.call('GET', stack), 404, "Not Found: stack 'acme/web/dev' not found")
    await assertApiError(contractor.call('DELETE', stack), 404)
    await contractor.call('POST', '/api/stacks/acme/open', { body: { stackName: 'c1' } })
    const listed = (await contractor.call<{ stacks: { stackName: string }[] }>('GET', '/api/user/stacks'))
      .body
    assert.deepEqual(
      listed.stacks.map((s) => s.stackName),
      ['c1'],
    )
    const all = (await admin.call<{ stacks: unknown[] }>('GET', '/api/user/stacks')).body
    assert.ok(all.stacks.length >= 3)
  })

  it('a denied request leaves an audit event and nothing else', async () => {
    await assertApiError(reader.call('PATCH', `${stack}/tags`, { body: { denied: 'yes' } }), 403)
    const got = (await admin.call<{ tags: Record<string, string> }>('GET', stack)).body
    assert.equal(got.tags.denied, undefined)
    const events = (
      await admin.call<{ auditLogEvents: { event: string; description: string; user: { name: string } }[] }>(
        'GET',
        '/api/orgs/acme/auditlogs?eventFilter=updateStackTags&userFilter=rita',
      )
    ).body.auditLogEvents
    assert.ok(events.length >= 1)
    assert.match(events[0]?.description ?? '', /denied, 403.*insufficient permissions/)
    await assertApiError(reader.call('GET', '/api/orgs/acme/auditlogs'), 403)
  })

  it('shows teams filtered by membership, and roles', async () => {
    const mine = (
      await writer.call<{ teams: { name: string; stacks: { stackName: string }[] }[] }>(
        'GET',
        '/api/orgs/acme/teams',
      )
    ).body
    assert.deepEqual(
      mine.teams.map((t) => t.name),
      ['developers'],
    )
    assert.equal(mine.teams[0]?.stacks[0]?.stackName, 'prod')
    const everyone = (await admin.call<{ teams: { name: string }[] }>('GET', '/api/orgs/acme/teams')).body
    assert.deepEqual(
      everyone.teams.map((t) => t.name),
      ['contractors', 'developers', 'ops'],
    )
    await assertApiError(writer.call('GET', '/api/orgs/acme/teams/ops'), 404)
    await admin.call('GET', '/api/orgs/acme/teams/ops')
    const roles = (await reader.call<{ roles: { name: string }[] }>('GET', '/api/orgs/acme/roles')).body
    assert.ok(roles.roles.some((r) => r.name === 'read (default)'))
  })

  it('`stack init --teams` grants the teams write on the new stack, shown by the teams views', async () => {
    const bella = await as('bella', ['blue'])
    // The CLI's exact body (httpstate client.go :: CreateStack: apitype.CreateStackRequest, omitempty fields).
    await admin.call('POST', '/api/stacks/acme/web', {
      body: { stackName: 'blue-app', tags: { 'pulumi:project': 'web' }, teams: ['blue', ' blue ', ''] },
    })
    const blue = '/api/stacks/acme/web/blue-app'
    await bella.call('POST', `${blue}/encrypt`, { body: { plaintext: 'eA==' } })
    await bella.call('PATCH', `${blue}/tags`, { body: { owner: 'blue' } })
    await assertApiError(bella.call('DELETE', blue), 403, /require admin on acme\/web\/blue-app, have write/)
    await assertApiError(bella.call('PATCH', `${stack}/tags`, { body: { a: 'b' } }), 403)
    // A deny still wins over the team's grant (contractors may not even read acme/web/*).
    await admin.call('POST', '/api/stacks/acme/web', { body: { stackName: 'blue-2', teams: ['blue'] } })
    const both = await as('cora', ['contractors', 'blue'])
    await assertApiError(both.call('PATCH', `${blue}/tags`, { body: { a: 'b' } }), 404)

    type Teams = {
      teams: { name: string; stacks: { projectName: string; stackName: string; permission: number }[] }[]
    }
    const mine = (await bella.call<Teams>('GET', '/api/orgs/acme/teams')).body
    assert.deepEqual(
      mine.teams.map((t) => t.name),
      ['blue'],
    )
    assert.deepEqual(mine.teams[0]?.stacks, [
      {
        projectName: 'web',
        stackName: 'blue-2',
        permission: 102,
        permissionSetName: 'stack init --teams: write',
      },
      {
        projectName: 'web',
        stackName: 'blue-app',
        permission: 102,
        permissionSetName: 'stack init --teams: write',
      },
    ])
    const one = (await bella.call<Teams['teams'][number]>('GET', '/api/orgs/acme/teams/blue')).body
    assert.equal(one.stacks.length, 2)
    await assertApiError(reader.call('GET', '/api/orgs/acme/teams/blue'), 404)
    const all = (await admin.call<Teams>('GET', '/api/orgs/acme/teams')).body
    assert.ok(all.teams.some((t) => t.name === 'blue'))
    // Another organization's teams view does not show acme's grants.
    assert.deepEqual(
      (await admin.call<Teams>('GET', '/api/orgs/other/teams')).body.teams.some((t) => t.name === 'blue'),
      false,
    )

    // A creator may name only teams it belongs to (organization admins any).
    await assertApiError(
      writer.call('POST', '/api/stacks/acme/web', { body: { stackName: 'dave-1', teams: ['blue'] } }),
      403,
      /you are not in 'blue'/,
    )
    await assertApiError(writer.call('GET', '/api/stacks/acme/web/dave-1'), 404)
    await writer.call('POST', '/api/stacks/acme/web', {
      body: { stackName: 'dave-2', teams: ['developers'] },
    })

    // The grant follows a rename and goes with a delete.
    await admin.call('POST', `${blue}/rename`, { body: { newName: 'blue-app2' } })
    await bella.call('PATCH', '/api/stacks/acme/web/blue-app2/tags', { body: { owner: 'blue' } })
    await admin.call('DELETE', '/api/stacks/acme/web/blue-app2')
    const after = (await bella.call<Teams['teams'][number]>('GET', '/api/orgs/acme/teams/blue')).body
    assert.deepEqual(
      after.stacks.map((s) => s.stackName),
      ['blue-2'],
    )
  })

  it('lists organization members in the Cloud shape, filtered by membership', async () => {
    type Members = { members: { role: string; user: { githubLogin: string }; fgaRole: { id: string } }[] }
    const dora = await as('dora', ['developers'])
    // Users become known by the tokens they hold (logins mint one; here, personal tokens).
    for (const client of [admin, writer, dora, reader]) {
      await client.call('POST', '/api/user/tokens', { body: { description: 'ci', expires: 0 } })
    }
    const seen = async (client: CliClient) =>
      (
        await client.call<Members>('GET', '/api/orgs/acme/members', { command: 'org-member-list' })
      ).body.members
        .map((m) => `${m.user.githubLogin}:${m.role}:${m.fgaRole.id}`)
        .sort()
    assert.deepEqual(await seen(writer), ['dave:member:member', 'dora:member:member'])
    assert.deepEqual(await seen(reader), ['rita:member:member'])
    const all = await seen(admin)
    for (const expected of [
      'dave:member:member',
      'dora:member:member',
      'olga:admin:admin',
      'rita:member:member',
    ]) {
      assert.ok(all.includes(expected), `${expected} in ${all.join(', ')}`)
    }
    // The personal organization holds only its owner.
    assert.deepEqual(
      (await writer.call<Members>('GET', '/api/orgs/dave/members')).body.members.map(
        (m) => m.user.githubLogin,
      ),
      ['dave'],
    )
    await assertApiError(writer.call('GET', '/api/orgs/rita/members'), 404)
  })

  it('project existence is filtered by read permission without leaking', async () => {
    const status = (client: CliClient, path: string) =>
      client.call('HEAD', path).then(
        (response) => response.status,
        (error: unknown) => (error instanceof CliApiError ? error.status : 0),
      )
    assert.equal(await status(contractor, '/api/stacks/acme/open'), 200)
    // acme/web has stacks, none of which the contractor may read: the same answer as a missing project.
    assert.equal(await status(contractor, '/api/stacks/acme/web'), 404)
    assert.equal(await status(contractor, '/api/stacks/acme/nothing-here'), 404)
    assert.equal(await status(reader, '/api/stacks/acme/web'), 200)
  })

  it('reloads the policy; a bad file keeps the previous one', async () => {
    const rbac = server.app.rbac
    assert.ok(rbac)
    writeFileSync(
      join(dir, 'rbac.yaml'),
      `${POLICY}\n  - { group: nobody, stackPattern: "a/b", permission: read }\n`,
    )
    const bad = await rbac.reload('test')
    assert.ok(!bad.ok && /rbac\.yaml:\d+: pattern "a\/b" must have 3/.test(bad.error), JSON.stringify(bad))
    await writer.call('POST', `${stack}/encrypt`, { body: { plaintext: 'eA==' } })
    writeFileSync(
      join(dir, 'rbac.yaml'),
      POLICY.replace('{ group: developers, permission: write }', '{ group: developers, permission: read }'),
    )
    assert.deepEqual(await rbac.reload('test'), { ok: true })
    await assertApiError(writer.call('POST', `${stack}/encrypt`, { body: { plaintext: 'eA==' } }), 403)
    const reloads = (
      await admin.call<{ auditLogEvents: { description: string }[] }>(
        'GET',
        '/api/orgs/acme/auditlogs?eventFilter=rbacReload',
      )
    ).body.auditLogEvents
    assert.ok(reloads.length >= 2)
  })
})
