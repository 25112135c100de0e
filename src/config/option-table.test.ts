import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { envNameFor, findOption, OPTIONS } from './option-table.js'

describe('option table', () => {
  it('spells every env name as PULUMI_BACKEND_<FLAG>, hyphens as underscores', () => {
    for (const o of OPTIONS) assert.equal(o.env, envNameFor(o.flag), o.flag)
  })

  it('has unique flags and never claims an env name the pulumi CLI itself reads', () => {
    assert.equal(new Set(OPTIONS.map((o) => o.flag)).size, OPTIONS.length)
    const envs: readonly string[] = OPTIONS.map((o) => o.env)
    assert.ok(!envs.includes('PULUMI_BACKEND_URL'))
  })

  it('keeps the Go server defaults', () => {
    const defaults = Object.fromEntries(OPTIONS.map((o) => [o.flag, o.default]))
    assert.deepEqual(defaults, {
      addr: ':8080',
      db: 'pulumi-backend.db',
      'master-key': '',
      org: 'organization',
      user: 'admin',
      tls: 'false',
      cert: '',
      key: '',
      'log-format': 'json',
      'audit-logs': 'true',
      'lease-duration': '5m',
      'cache-size': '256',
      'delta-cutoff': '1048576',
      'history-page-size': '10',
      'max-state-versions': '50',
      'stack-list-page-size': '100',
      'event-buffer-size': '1000',
      'event-flush-interval': '1s',
      'auth-mode': 'single-tenant',
      'single-tenant-token': '',
      'public-url': '',
      'trusted-proxies': '',
      'token-ttl': '24h',
      'groups-cache-ttl': '5m',
      'admin-users': '',
      'admin-groups': '',
      'google-client-id': '',
      'google-client-secret': '',
      'google-sa-key': '',
      'google-sa-email': '',
      'google-admin-email': '',
      'google-allowed-domains': '',
      'google-transitive-groups': 'false',
      'oidc-issuer': '',
      'oidc-client-id': '',
      'oidc-client-secret': '',
      'oidc-allowed-domains': '',
      'oidc-scopes': 'profile,email',
      'oidc-groups-claim': 'groups',
      'oidc-username-claim': 'email',
      'oidc-provider-name': 'SSO',
      'jwt-signing-key': '',
      'jwt-jwks-url': '',
      'jwt-issuer': '',
      'jwt-audience': '',
      'jwt-groups-claim': 'groups',
      'jwt-username-claim': 'sub',
      'jwt-leeway': '30s',
      'token-exchange-policies': '',
      journaling: 'true',
      'max-body-size': '536870912',
      'max-journal-batch-size': '16777216',
      'max-event-batch-size': '67108864',
      'max-secrets-body-size': '16777216',
      'max-json-body-size': '4194304',
      'management-addr': '',
      pprof: 'false',
      'templates-dir': '',
    })
  })

  it('marks exactly the master key, the shared token and the auth secrets as secret', () => {
    assert.deepEqual(
      OPTIONS.filter((o) => o.secret).map((o) => o.flag),
      ['master-key', 'single-tenant-token', 'google-client-secret', 'oidc-client-secret', 'jwt-signing-key'],
    )
  })

  it('finds options by flag name only', () => {
    assert.equal(findOption('addr')?.env, 'PULUMI_BACKEND_ADDR')
    assert.equal(findOption('-addr'), undefined)
    assert.equal(findOption('PULUMI_BACKEND_ADDR'), undefined)
  })
})
