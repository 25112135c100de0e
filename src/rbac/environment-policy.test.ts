import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { UserPrincipal } from '../identity/principal.js'
import { AccessControl } from './access-control.js'
import { authorize } from './authorize.js'
import type { Permission, Resource } from './permission.js'
import { parseRbacConfig, RbacConfigError } from './rbac-config.js'

function user(login: string, groups: string[] = [], admin = false): UserPrincipal {
  const base = { kind: 'user' as const, login, displayName: login, groups, method: 'access-token' as const }
  return { ...base, tokenId: undefined, tokenName: undefined, organization: undefined, admin }
}

const policy = parseRbacConfig(`
defaultPermission: read
groupRoles:
  - { group: developers, permission: write }
  - { group: ops, permission: admin }
environmentPolicies:
  - { group: auditors, projectPattern: "acme/*", permission: open }
  - { group: developers, environmentPattern: "*/*/prod", permission: open, effect: deny }
  - { group: ops, environmentPattern: "acme/vault/*", permission: read, effect: deny }
  - { group: team-a, environmentPattern: "acme/web/dev-*", permission: admin }
`)
const env = (path: string): Resource => {
  const [org, project, environment] = path.split('/')
  return { org, project, environment }
}

// [who, permission, resource, expected]: allow, or the start of the deny reason.
const TABLE: [string, UserPrincipal, Permission, Resource, true | string][] = [
  ['default read: read', user('u'), 'env:read', env('acme/web/dev'), true],
  [
    'default read: no open (read shows ciphertext only)',
    user('u'),
    'env:open',
    env('acme/web/dev'),
    'insufficient permissions: require open on environment acme/web/dev, have read',
  ],
  ['open policy: open', user('a', ['auditors']), 'env:open', env('acme/web/dev'), true],
  ['open policy: no write', user('a', ['auditors']), 'env:write', env('acme/web/dev'), 'insufficient'],
  ['write role includes open', user('d', ['developers']), 'env:open', env('acme/web/dev'), true],
  ['write role: no admin', user('d', ['developers']), 'env:admin', env('acme/web/dev'), 'insufficient'],
  [
    'deny of open leaves read',
    user('d', ['developers']),
    'env:open',
    env('acme/web/prod'),
    'insufficient permissions: require open on environment acme/web/prod, have read',
  ],
  ['deny of open: still reads', user('d', ['developers']), 'env:read', env('acme/web/prod'), true],
  [
    'deny of read hides from an admin role',
    user('o', ['ops']),
    'env:read',
    env('acme/vault/k'),
    'insufficient',
  ],
  ['admin role elsewhere', user('o', ['ops']), 'env:admin', env('acme/web/x'), true],
  ['pattern admin', user('t', ['team-a']), 'env:admin', env('acme/web/dev-1'), true],
  ['pattern is per segment', user('t', ['team-a']), 'env:write', env('acme/web/dev/x'), 'insufficient'],
  ['create by pattern', user('t', ['team-a']), 'env:create', env('acme/web/dev-new'), true],
  ['create needs write', user('u'), 'env:create', env('acme/web/x'), 'insufficient'],
  ['server admin', user('root', [], true), 'env:admin', env('acme/vault/k'), true],
  ['stack policies do not count', user('u'), 'env:write', env('acme/web/dev'), 'insufficient'],
]

describe('authorize: environments (environmentPolicies)', () => {
  for (const [name, principal, permission, resource, expected] of TABLE) {
    it(name, () => {
      const decision = authorize(policy, principal, permission, resource)
      if (expected === true) assert.deepEqual(decision, { allow: true })
      else assert.ok(!decision.allow && decision.reason.startsWith(expected), JSON.stringify(decision))
    })
  }
  it('with no -rbac-config every signed-in user uses every environment', () => {
    for (const permission of ['env:read', 'env:open', 'env:write', 'env:admin', 'env:create'] as const) {
      assert.deepEqual(authorize(undefined, user('u'), permission, env('a/b/c')), { allow: true })
    }
  })
  it('hides (404) what the caller may not read, refuses (403) what they may read', () => {
    const access = new AccessControl(() => policy)
    const hidden = access.decide(user('o', ['ops']), 'env:open', env('acme/vault/k'))
    assert.ok(!hidden.allow && hidden.hide)
    const refused = access.decide(user('u'), 'env:open', env('acme/web/dev'))
    assert.ok(!refused.allow && !refused.hide)
    const create = access.decide(user('u'), 'env:create', env('acme/web/new'))
    assert.ok(!create.allow && !create.hide)
  })
})

describe('parseRbacConfig: environmentPolicies', () => {
  it('reads patterns, levels (with open) and effects', () => {
    const [first, second] = policy.environmentPolicies
    assert.equal(first?.pattern, 'acme/*/*')
    assert.equal(first?.permission, 'open')
    assert.equal(second?.effect, 'deny')
    assert.deepEqual(parseRbacConfig('defaultPermission: read\n').environmentPolicies, [])
  })
  const errors: [string, string, RegExp][] = [
    [
      'a stack pattern key',
      'environmentPolicies:\n  - {group: g, stackPattern: "a/b/c", permission: read}\n',
      /^f:2: unknown key "stackPattern"/,
    ],
    [
      'two segments',
      'environmentPolicies:\n  - {group: g, environmentPattern: "a/b", permission: read}\n',
      /^f:2: pattern "a\/b" must have 3/,
    ],
    [
      'a bad level',
      'environmentPolicies:\n  - {group: g, environmentPattern: "a/b/c", permission: decrypt}\n',
      /^f:2: "permission" must be one of none, read, open, write, admin/,
    ],
    [
      'open outside environments',
      'groupRoles:\n  - {group: g, permission: open}\n',
      /^f:2: "permission" must be one of none, read, write, admin /,
    ],
    [
      'no pattern',
      'environmentPolicies:\n  - {group: g, permission: read}\n',
      /^f:2: give exactly one of "environmentPattern"/,
    ],
  ]
  for (const [name, text, message] of errors) {
    it(`refuses ${name} with its line`, () => {
      assert.throws(
        () => parseRbacConfig(text, 'f'),
        (error: unknown) => error instanceof RbacConfigError && message.test(error.message),
      )
    })
  }
})
