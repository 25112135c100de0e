import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { assertApiError } from '../support/assert-api-error.js'
import { CliClient } from '../support/cli-client.js'
import { exerciseCliSession } from '../support/cli-session.js'
import { FakeGoogle } from '../support/fake-google.js'
import { startTestServer, type TestServer } from '../support/test-server.js'

interface ServiceUser {
  githubLogin: string
  siteAdmin: boolean
}

// Google's endpoints cannot be reached here: a local server speaks their JSON shapes (support/fake-google.ts).
describe('google mode', () => {
  const google = new FakeGoogle()
  const servers: TestServer[] = []

  before(async () => {
    await google.start()
    google.groups = {
      'ann@example.com': ['eng@example.com', 'all@example.com'],
      'eng@example.com': ['tech@example.com'],
      'tech@example.com': ['eng@example.com'], // a cycle
      'ben@example.com': ['all@example.com'],
    }
  })
  after(async () => {
    for (const server of servers) await server.close()
    await google.close()
  })

  async function start(args: string[]): Promise<TestServer> {
    const server = await startTestServer({
      args: [
        '-auth-mode=google',
        '-google-client-id=client.apps.googleusercontent.com',
        '-google-allowed-domains=example.com',
        '-admin-groups=tech@example.com',
        ...args,
      ],
      overrides: {
        google: {
          accountsIssuer: google.url,
          directory: google.url,
          iamCredentials: google.url,
          oauthToken: `${google.url}/token`,
          metadata: google.url,
        },
      },
    })
    servers.push(server)
    return server
  }

  async function signIn(server: TestServer, email: string, hd = 'example.com'): Promise<CliClient> {
    const idToken = await google.idToken({ aud: 'client.apps.googleusercontent.com', email, hd, sub: email })
    const response = await new CliClient(server.url, '').call<{ accessToken: string; userName: string }>(
      'POST',
      '/api/auth/token-exchange',
      { body: { idToken } },
    )
    assert.equal(response.body.userName, email)
    return new CliClient(server.url, response.body.accessToken)
  }

  it('keyless domain-wide delegation: nested groups (cycle-safe), cached, invalidated by an admin', async () => {
    const server = await start([
      '-google-admin-email=admin@example.com',
      '-google-sa-email=backend@proj.iam.gserviceaccount.com',
      '-google-transitive-groups',
    ])
    const ann = await signIn(server, 'ann@example.com')
    google.directoryCalls = []
    const user = (await ann.call<ServiceUser>('GET', '/api/user')).body
    assert.equal(user.siteAdmin, true, 'tech@ reached through eng@ (nested) grants admin')
    assert.deepEqual(google.directoryCalls.sort(), [
      'all@example.com',
      'ann@example.com',
      'ann@example.com',
      'eng@example.com',
      'tech@example.com',
    ])
    assert.equal(await exerciseCliSession(ann, 'acme', 'google-dev'), 'ann@example.com')

    const calls = google.directoryCalls.length
    await ann.call('GET', '/api/user')
    assert.equal(google.directoryCalls.length, calls, 'served from the cache')
    await ann.call('POST', '/api/admin/groups-cache/invalidate', { body: { userName: 'ann@example.com' } })
    await ann.call('GET', '/api/user')
    assert.ok(google.directoryCalls.length > calls, 'looked up again after invalidation')

    const ben = await signIn(server, 'ben@example.com')
    assert.equal((await ben.call<ServiceUser>('GET', '/api/user')).body.siteAdmin, false)
    await assertApiError(ben.call('POST', '/api/admin/groups-cache/invalidate', { body: {} }), 403)
  })

  it('refuses ID tokens of another Workspace domain or another client', async () => {
    const server = await start([])
    await assertApiError(signIn(server, 'eve@evil.example', 'evil.example'), 401, /domain/)
    const foreign = await google.idToken({ aud: 'other-client', email: 'ann@example.com', hd: 'example.com' })
    await assertApiError(
      new CliClient(server.url, '').call('POST', '/api/auth/token-exchange', { body: { idToken: foreign } }),
      401,
    )
  })

  it('domain-wide delegation with a key file signs its own assertion; direct groups only', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    google.keyFilePublicKey = publicKey
    const dir = mkdtempSync(join(tmpdir(), 'google-key-'))
    const keyFile = join(dir, 'sa.json')
    writeFileSync(
      keyFile,
      JSON.stringify({
        type: 'service_account',
        client_email: 'backend@proj.iam.gserviceaccount.com',
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
        token_uri: `${google.url}/token`,
      }),
    )
    const server = await start(['-google-admin-email=admin@example.com', `-google-sa-key=${keyFile}`])
    const ann = await signIn(server, 'ann@example.com')
    google.directoryCalls = []
    assert.equal(
      (await ann.call<ServiceUser>('GET', '/api/user')).body.siteAdmin,
      false,
      'no nesting requested',
    )
    assert.deepEqual(google.directoryCalls, ['ann@example.com', 'ann@example.com'])
  })

  it('admin-role mode asks for the first allowed domain; a Directory outage leaves the user without groups', async () => {
    const server = await start([
      '-google-sa-email=reader@proj.iam.gserviceaccount.com',
      '-google-transitive-groups',
    ])
    const ann = await signIn(server, 'ann@example.com')
    google.directoryCalls = []
    assert.equal((await ann.call<ServiceUser>('GET', '/api/user')).body.siteAdmin, true)
    assert.ok(google.directoryCalls.every((call) => call.endsWith(' domain=example.com')))

    const ben = await signIn(server, 'ben@example.com')
    google.directoryDown = true
    try {
      const user = await ben.call<ServiceUser>('GET', '/api/user')
      assert.equal(user.body.githubLogin, 'ben@example.com')
      assert.equal(user.body.siteAdmin, false)
    } finally {
      google.directoryDown = false
    }
  })
})
