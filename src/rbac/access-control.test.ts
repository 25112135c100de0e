import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { UserPrincipal } from '../identity/principal.js'
import type { Stack } from '../stacks/stack.js'
import { AccessControl } from './access-control.js'
import { parseRbacConfig } from './rbac-config.js'

const policy = parseRbacConfig(
  'defaultPermission: none\ngroupRoles:\n  - { group: ops, permission: admin }\n  - { group: banned, permission: read, effect: deny }\n',
)
const user = (login: string, groups: string[]): UserPrincipal => ({
  kind: 'user',
  login,
  displayName: login,
  groups,
  method: 'access-token',
  tokenId: undefined,
  tokenName: undefined,
  organization: undefined,
  admin: false,
})
const stack = (name: string): Stack => ({
  id: `id-${name}`,
  org: 'acme',
  project: 'web',
  name,
  tags: {},
  version: 0,
  resourceCount: 0,
  lockedByUpdate: null,
  lastUpdateId: null,
  lastUpdateAt: null,
  createdAt: 0,
})

describe('AccessControl with `--teams` grants', () => {
  const lookups: string[] = []
  const grants = new Map([['id-blue', ['blue']]])
  const access = new AccessControl(() => policy, {
    teamsOf: async (ref) => {
      lookups.push(ref.stack)
      return grants.get(`id-${ref.stack}`) ?? []
    },
    teamsOfStacks: async (ids) => {
      lookups.push(...ids)
      return new Map(ids.flatMap((id) => (grants.has(id) ? [[id, grants.get(id) ?? []] as const] : [])))
    },
  })
  const member = user('bella', ['blue'])
  const ref = (name: string) => ({ org: 'acme', project: 'web', stack: name })

  it('lets a team member write the granted stack, and nothing else', async () => {
    assert.deepEqual(await access.decideWithTeams(member, 'stack:write', ref('blue')), { allow: true })
    const admin = await access.decideWithTeams(member, 'stack:admin', ref('blue'))
    assert.equal(admin.allow, false)
    const other = await access.decideWithTeams(member, 'stack:read', ref('red'))
    assert.ok(!other.allow && other.hide, 'a stack the caller may not read is hidden')
  })

  it('looks grants up only when they could change a refusal', async () => {
    lookups.length = 0
    await access.decideWithTeams(user('olga', ['ops']), 'stack:admin', ref('blue'))
    await access.decideWithTeams(user('nobody', []), 'stack:read', ref('blue'))
    await access.decideWithTeams(member, 'stack:create', ref('new'))
    assert.deepEqual(lookups, [])
  })

  it('never lifts a deny', async () => {
    const denied = await access.decideWithTeams(user('b', ['blue', 'banned']), 'stack:read', ref('blue'))
    assert.equal(denied.allow, false)
  })

  it('filters listings with one lookup for the refused stacks', async () => {
    lookups.length = 0
    const listed = await access.readable(member, [stack('blue'), stack('red')])
    assert.deepEqual(
      listed.map((s) => s.name),
      ['blue'],
    )
    assert.deepEqual(lookups, ['id-blue', 'id-red'])
  })

  it('lets a creator name only its own teams, an organization admin any', () => {
    assert.deepEqual(access.teamGrant(member, ['blue']), { allow: true })
    const foreign = access.teamGrant(member, ['blue', 'red'])
    assert.ok(!foreign.allow && /not in 'red'/.test(foreign.reason))
    assert.deepEqual(access.teamGrant(user('olga', ['ops']), ['red']), { allow: true })
  })
})
