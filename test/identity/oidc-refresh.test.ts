import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import SQLite from 'better-sqlite3'
import { assertApiError } from '../support/assert-api-error.js'
import { CliClient } from '../support/cli-client.js'
import { ManualClock } from '../support/manual-clock.js'
import { cliLoginThrough, OidcIssuer, startIssuerForBackend } from '../support/oidc-issuer.js'
import { startTestServer, type TestServer } from '../support/test-server.js'

const HOUR = 3_600_000

// Refresh-token re-validation against a real provider: the backend token lives only as long as the IdP session.
describe('oidc login tokens are re-validated at the provider', () => {
  const issuer = new OidcIssuer()
  const clock = new ManualClock()
  let server: TestServer
  let publicUrl: string

  before(async () => {
    const started = await startIssuerForBackend(issuer)
    publicUrl = started.publicUrl
    for (const name of ['alice', 'bob', 'cora'])
      issuer.accounts.set(name, { sub: name, email: `${name}@example.com` })
    server = await startTestServer({
      args: [
        ...started.args,
        `-addr=127.0.0.1:${started.port}`,
        '-oidc-scopes=profile,email,offline_access',
        '-token-ttl=1h',
      ],
      overrides: { clock },
    })
  })
  after(async () => {
    await server.close()
    await issuer.close()
  })

  async function login(account: string): Promise<string> {
    const { token } = await cliLoginThrough(issuer, publicUrl, account)
    assert.ok(token, `${account} got a token`)
    return token
  }

  function row(token: string) {
    const db = new SQLite(server.dbPath, { readonly: true })
    try {
      return db
        .prepare('select idp_refresh_token, revalidated_at from access_tokens where token_hash = ?')
        .get(createHash('sha256').update(token).digest('hex')) as
        | { idp_refresh_token: string | null; revalidated_at: number | null }
        | undefined
    } finally {
      db.close()
    }
  }

  it('keeps the refresh token sealed and re-validates after half the token lifetime', async () => {
    const token = await login('alice')
    const stored = row(token)
    assert.ok(stored?.idp_refresh_token, 'the IdP refresh token is kept')
    assert.equal(stored.revalidated_at, null)
    const cli = new CliClient(server.url, token)

    clock.advance(HOUR / 4)
    await cli.call('GET', '/api/user')
    assert.equal(row(token)?.revalidated_at, null, 'not due before half the lifetime')

    clock.advance(HOUR / 4 + 1000)
    await cli.call('GET', '/api/user')
    assert.equal(row(token)?.revalidated_at, clock.now(), 'checked at the provider, and still valid')
  })

  it('revokes the backend token once the user is deactivated at the provider', async () => {
    const token = await login('bob')
    const cli = new CliClient(server.url, token)
    await cli.call('GET', '/api/user')
    issuer.accounts.delete('bob')
    clock.advance(HOUR / 2 + 1000)
    await assertApiError(cli.call('GET', '/api/user'), 401, /identity provider has ended/)
    assert.equal(row(token), undefined, 'the token is deleted')
    await assertApiError(cli.call('GET', '/api/user'), 401)
  })

  it('keeps the token when the provider cannot be reached, and asks again later', async () => {
    const token = await login('cora')
    const cli = new CliClient(server.url, token)
    await issuer.close()
    clock.advance(HOUR / 2 + 1000)
    assert.equal(
      (await cli.call<{ githubLogin: string }>('GET', '/api/user')).body.githubLogin,
      'cora@example.com',
    )
    assert.equal(row(token)?.revalidated_at, clock.now() - (HOUR / 2 + 1000), 'the claim was given back')
  })
})
