import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { UpdateLeasePrincipal, UserPrincipal } from '../identity/principal.js'
import { authorize } from './authorize.js'
import type { Permission, Resource } from './permission.js'
import { parseRbacConfig, RbacConfigError } from './rbac-config.js'

function user(login: string, groups: string[] = [], admin = false): UserPrincipal {
  const base = { kind: 'user' as const, login, displayName: login, groups, method: 'access-token' as const }
  return { ...base, tokenId: undefined, tokenName: undefined, organization: undefined, admin }
}
const lease: UpdateLeasePrincipal = { kind: 'update-lease', updateId: 'u1', stackId: 's1', tokenHash: 'h1' }

const CONFIG = `
defaultPermission: read
groupRoles:
  - { group: developers, permission: write }
  - { group: ops, permission: admin }
  - { group: contractors, permission: read, effect: deny }
stackPolicies:
  - { group: developers, stackPattern: "*/*/prod", permission: write, effect: deny }
  - { group: team-a, stackPattern: "acme/web/dev-*", permission: admin }
  - { group: team-a, stackPattern: "acme/web/dev-*", permission: admin }
  - { group: team-b, projectPattern: "acme/api", permission: write }
  - { group: everyone-prod, stackPattern: "*/*/*", permission: admin }
  - { group: ops, stackPattern: "acme/secret/*", permission: admin, effect: deny }
`
const policy = parseRbacConfig(CONFIG)
const stack = (path: string, teams?: string[]): Resource => {
  const [org, project, name] = path.split('/')
  return { org, project, stack: name, teams }
}

// [who, permission, resource, expected]: allow, or the start of the deny reason.
const TABLE: [
  string,
  UserPrincipal | UpdateLeasePrincipal | undefined,
  Permission,
  Resource,
  true | string,
][] = [
  ['anyone on a public route', undefined, 'public', {}, true],
  ['nobody unauthenticated', undefined, 'authenticated', {}, 'not authenticated'],
  ['update token on its update', lease, 'update', {}, true],
  ['update token elsewhere', lease, 'stack:read', stack('acme/web/dev'), 'an update token'],
  ['user on an update-token route', user('u'), 'update', {}, 'this endpoint requires'],
  ['default read: read', user('u'), 'stack:read', stack('acme/web/dev'), true],
  [
    'default read: no write',
    user('u'),
    'stack:write',
    stack('acme/web/dev'),
    'insufficient permissions: require write on acme/web/dev, have read',
  ],
  ['default read: no create', user('u'), 'stack:create', stack('acme/web/new'), 'insufficient'],
  ['default read: org read', user('u'), 'org:read', { org: 'acme' }, true],
  // org:write guards org-owned non-stack resources (org webhooks).
  [
    'default read: no org write',
    user('u'),
    'org:write',
    { org: 'acme' },
    'insufficient permissions: require write on acme',
  ],
  ['group role write is org write', user('d', ['developers']), 'org:write', { org: 'acme' }, true],
  [
    'default read: no org admin',
    user('u'),
    'org:admin',
    { org: 'acme' },
    'insufficient permissions: require admin on acme',
  ],
  ['group role write', user('d', ['developers']), 'stack:write', stack('acme/web/dev'), true],
  [
    'group role write is not admin',
    user('d', ['developers']),
    'stack:admin',
    stack('acme/web/dev'),
    'insufficient',
  ],
  [
    'deny write on prod beats the group role',
    user('d', ['developers']),
    'stack:write',
    stack('acme/web/prod'),
    'insufficient permissions: require write on acme/web/prod, have read',
  ],
  ['deny write on prod leaves read', user('d', ['developers']), 'stack:read', stack('acme/web/prod'), true],
  [
    'deny beats a later admin grant',
    user('d', ['developers', 'everyone-prod']),
    'stack:write',
    stack('x/y/prod'),
    'insufficient',
  ],
  [
    'deny read denies everything',
    user('c', ['contractors']),
    'stack:read',
    stack('acme/web/dev'),
    'insufficient permissions: require read on acme/web/dev, have none',
  ],
  ['deny read at org level too', user('c', ['contractors']), 'org:read', { org: 'acme' }, 'insufficient'],
  ['stack policy glob grants admin', user('a', ['team-a']), 'stack:admin', stack('acme/web/dev-1'), true],
  [
    'stack policy creation by its pattern',
    user('a', ['team-a']),
    'stack:create',
    stack('acme/web/dev-new'),
    true,
  ],
  [
    'glob does not cross "/"',
    user('a', ['team-a']),
    'stack:admin',
    { org: 'acme', project: 'web', stack: 'dev-1/x' },
    'insufficient',
  ],
  ['glob is anchored', user('a', ['team-a']), 'stack:admin', stack('acme/web/xdev-1'), 'insufficient'],
  [
    'overlapping grants take the highest',
    user('a', ['team-a', 'developers']),
    'stack:admin',
    stack('acme/web/dev-1'),
    true,
  ],
  [
    'project pattern grants its stacks',
    user('b', ['team-b']),
    'stack:write',
    stack('acme/api/anything'),
    true,
  ],
  ['project pattern governs creation', user('b', ['team-b']), 'stack:create', stack('acme/api/new'), true],
  [
    'project pattern stays in its project',
    user('b', ['team-b']),
    'stack:create',
    stack('acme/web/new'),
    'insufficient',
  ],
  ['*/*/* grants every stack', user('e', ['everyone-prod']), 'stack:admin', stack('o/p/s'), true],
  [
    '*/*/* never grants org admin (empty path)',
    user('e', ['everyone-prod']),
    'org:admin',
    { org: 'o' },
    'insufficient',
  ],
  [
    '*/*/* never matches an org-level stack check',
    user('e', ['everyone-prod']),
    'stack:admin',
    { org: 'o' },
    'insufficient',
  ],
  ['group role admin is org admin', user('o', ['ops']), 'org:admin', { org: 'acme' }, true],
  [
    'stack deny lowers an org admin on those stacks',
    user('o', ['ops']),
    'stack:admin',
    stack('acme/secret/x'),
    'insufficient permissions: require admin on acme/secret/x, have write',
  ],
  [
    'team granted at stack init writes',
    user('t', ['blue']),
    'stack:write',
    stack('acme/web/dev', ['blue']),
    true,
  ],
  [
    'team grant is not admin',
    user('t', ['blue']),
    'stack:admin',
    stack('acme/web/dev', ['blue']),
    'insufficient',
  ],
  [
    'team grant does not lift a deny',
    user('d', ['developers', 'blue']),
    'stack:write',
    stack('acme/web/prod', ['blue']),
    'insufficient',
  ],
  [
    'other teams get nothing from it',
    user('t', ['green']),
    'stack:write',
    stack('acme/web/dev', ['blue']),
    'insufficient',
  ],
  ['server admins bypass', user('root', [], true), 'stack:admin', stack('acme/secret/x'), true],
  ['server admins are org admins', user('root', [], true), 'org:admin', { org: 'acme' }, true],
  ['any user: authenticated routes', user('c', ['contractors']), 'authenticated', {}, true],
]

describe('authorize (with a policy)', () => {
  for (const [name, principal, permission, resource, expected] of TABLE) {
    it(name, () => {
      const decision = authorize(policy, principal, permission, resource)
      if (expected === true) assert.deepEqual(decision, { allow: true })
      else {
        assert.equal(decision.allow, false)
        assert.ok(
          !decision.allow && decision.reason.startsWith(expected),
          `${!decision.allow && decision.reason}`,
        )
      }
    })
  }
})

describe('authorize (no -rbac-config)', () => {
  it('lets every signed-in user use every stack', () => {
    for (const permission of [
      'stack:read',
      'stack:write',
      'stack:admin',
      'stack:create',
      'org:read',
    ] as const) {
      assert.deepEqual(authorize(undefined, user('u'), permission, stack('a/b/c')), { allow: true })
    }
  })
  it('keeps organization administration to administrators', () => {
    assert.equal(authorize(undefined, user('u'), 'org:admin', { org: 'a' }).allow, false)
    assert.equal(authorize(undefined, user('u', [], true), 'org:admin', { org: 'a' }).allow, true)
  })
  it('never lets an update token out of its update', () => {
    assert.equal(authorize(undefined, lease, 'stack:write', stack('a/b/c')).allow, false)
  })
})

describe('parseRbacConfig', () => {
  it("reads the Go server's format unchanged", () => {
    const p = parseRbacConfig(
      'defaultPermission: none\ngroupRoles:\n  - group: "dev@example.com"\n    permission: write\nstackPolicies:\n  - group: "dev@example.com"\n    stackPattern: "myorg/*/dev-*"\n    permission: admin\n',
    )
    assert.equal(p.defaultPermission, 'none')
    assert.equal(p.groupRoles[0]?.effect, 'allow')
    assert.equal(p.stackPolicies[0]?.pattern, 'myorg/*/dev-*')
  })
  it('treats a missing defaultPermission as none (the Go server crashed)', () => {
    assert.equal(parseRbacConfig('groupRoles: []\n').defaultPermission, 'none')
    assert.equal(parseRbacConfig('').defaultPermission, 'none')
  })
  const errors: [string, string, RegExp][] = [
    [
      'bad level',
      'defaultPermission: owner\n',
      /^f:1: "defaultPermission" must be one of none, read, write, admin/,
    ],
    [
      'bad entry level (was skipped)',
      'groupRoles:\n  - group: g\n    permission: sudo\n',
      /^f:3: "permission"/,
    ],
    ['missing group', 'groupRoles:\n  - permission: read\n', /^f:2: missing "group"/],
    ['unknown key', 'defaultPermission: read\nstackPolicy: []\n', /^f:2: unknown key "stackPolicy"/],
    [
      'two-segment stack pattern',
      'stackPolicies:\n  - {group: g, stackPattern: "a/*", permission: read}\n',
      /^f:2: pattern "a\/\*" must have 3/,
    ],
    [
      'empty segment',
      'stackPolicies:\n  - {group: g, stackPattern: "a//b", permission: read}\n',
      /^f:2: .*non-empty segments/,
    ],
    [
      'both patterns',
      'stackPolicies:\n  - {group: g, stackPattern: "a/b/c", projectPattern: "a/b", permission: read}\n',
      /^f:2: give exactly one/,
    ],
    [
      'double star',
      'stackPolicies:\n  - {group: g, stackPattern: "a/**/c", permission: read}\n',
      /^f:2: "\*\*" is not supported/,
    ],
    [
      'bad effect',
      'groupRoles:\n  - {group: g, permission: read, effect: maybe}\n',
      /^f:2: "effect" must be allow or deny/,
    ],
    ['deny none', 'groupRoles:\n  - {group: g, permission: none, effect: deny}\n', /^f:2: a deny of "none"/],
    ['not YAML', 'groupRoles: [\n', /^f:\d+: invalid YAML/],
    ['not a mapping', '- a\n', /^f:1: expected a mapping/],
    [
      'unclosed class',
      'stackPolicies:\n  - {group: g, stackPattern: "a/b/[c", permission: read}\n',
      /^f:2: unclosed/,
    ],
  ]
  for (const [name, text, message] of errors) {
    it(`refuses ${name} with its line`, () => {
      assert.throws(
        () => parseRbacConfig(text, 'f'),
        (error: unknown) => {
          assert.ok(error instanceof RbacConfigError)
          assert.match(error.message, message)
          return true
        },
      )
    })
  }
})
