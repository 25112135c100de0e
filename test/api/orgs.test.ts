// `pulumi org member list [--org O]` and `pulumi org member get`: client.go :: ListOrganizationMembers
// (`GET /api/orgs/{org}/members`, optional `type` and `continuationToken`), org_member_render.go ::
// findOrganizationMember (asks type=frontend, then type=backend).
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { assertApiError } from '../support/assert-api-error.js'
import type { CliClient } from '../support/cli-client.js'
import { startTestServer, useTestServer } from '../support/test-server.js'

interface MembersResponse {
  members: {
    role: string
    user: { name: string; githubLogin: string; avatarUrl: string }
    created: string
    knownToPulumi: boolean
    virtualAdmin: boolean
    fgaRole: { id: string; name: string; modifiedAt: string }
  }[]
  continuationToken?: string
}

const members = async (cli: CliClient, path: string) =>
  (await cli.call<MembersResponse>('GET', path, { command: 'org-member-list' })).body

describe('organization members', () => {
  let cli: CliClient
  useTestServer({}, (started) => {
    cli = started.client
  })

  it('lists the one user of the single tenant as an admin, on one page', async () => {
    const body = await members(cli, '/api/orgs/acme/members')
    assert.equal(body.members.length, 1)
    const [member] = body.members
    assert.equal(member?.user.githubLogin, 'alice')
    assert.equal(member?.user.name, 'alice')
    assert.equal(member?.role, 'admin')
    assert.equal(member?.fgaRole.id, 'admin')
    assert.equal(member?.knownToPulumi, true)
    assert.ok(!Number.isNaN(Date.parse(member?.created ?? '')), 'created is a timestamp')
    assert.equal(body.continuationToken, undefined, 'an empty token ends the CLI paging')
  })

  it('answers both member kinds the CLI asks for, and the personal organization', async () => {
    const all = await members(cli, '/api/orgs/acme/members')
    assert.deepEqual(await members(cli, '/api/orgs/acme/members?type=frontend'), all)
    assert.deepEqual(await members(cli, '/api/orgs/acme/members?type=backend'), all)
    assert.deepEqual(await members(cli, '/api/orgs/alice/members'), all)
  })

  it('refuses unknown organizations, member kinds and tokens; needs the access token', async () => {
    await assertApiError(
      cli.call('GET', '/api/orgs/someone-else/members'),
      404,
      /organization 'someone-else'/,
    )
    await assertApiError(cli.call('GET', '/api/orgs/acme/members?type=everyone'), 400)
    await assertApiError(cli.call('GET', '/api/orgs/acme/members?continuationToken=abc'), 400)
    await assertApiError(
      cli.call('GET', '/api/orgs/acme/members', { auth: { kind: 'token', token: '' } }),
      401,
    )
  })
})

describe('organization members across a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulumi-backend-orgs-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('keeps the join date in the database', async () => {
    const first = await startTestServer({ dir })
    const before = await members(first.client, '/api/orgs/acme/members')
    await first.close()
    const second = await startTestServer({ dir })
    try {
      const afterRestart = await members(second.client, '/api/orgs/acme/members')
      assert.equal(afterRestart.members[0]?.created, before.members[0]?.created)
    } finally {
      await second.close()
    }
  })
})
