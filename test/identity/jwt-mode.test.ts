import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT, UnsecuredJWT } from 'jose'
import { assertApiError } from '../support/assert-api-error.js'
import { CliClient } from '../support/cli-client.js'
import { exerciseCliSession } from '../support/cli-session.js'
import { JwksServer } from '../support/jwks-server.js'
import { ManualClock } from '../support/manual-clock.js'
import { startTestServer, type TestServer } from '../support/test-server.js'

const SECRET = 'a-shared-hmac-secret-of-at-least-32-characters'
const seconds = (ms: number) => Math.floor(ms / 1000)

interface ServiceUser {
  githubLogin: string
  name: string
  siteAdmin: boolean
}

describe('jwt mode with an HMAC secret', () => {
  const clock = new ManualClock()
  let server: TestServer
  const sign = (claims: JWTPayload, options: { alg?: string; exp?: number; secret?: string } = {}) =>
    new SignJWT({ iss: 'https://issuer.example', aud: 'pulumi', ...claims })
      .setProtectedHeader({ alg: options.alg ?? 'HS256' })
      .setIssuedAt(seconds(clock.now()))
      .setExpirationTime(options.exp ?? seconds(clock.now()) + 600)
      .sign(new TextEncoder().encode(options.secret ?? SECRET))
  const as = (token: string) => new CliClient(server.url, token)

  before(async () => {
    server = await startTestServer({
      args: [
        '-auth-mode=jwt',
        `-jwt-signing-key=${SECRET}`,
        '-jwt-issuer=https://issuer.example',
        '-jwt-audience=pulumi',
        '-admin-groups=platform',
      ],
      overrides: { clock },
    })
  })
  after(() => server.close())

  it('carries a CLI session: login, stack, update, secrets, history names the JWT subject', async () => {
    const token = await sign({ sub: 'bob', name: 'Bob B.' })
    assert.equal(await exerciseCliSession(as(token), 'acme', 'jwt-dev'), 'bob')
    const user = (await as(token).call<ServiceUser>('GET', '/api/user')).body
    assert.equal(user.name, 'Bob B.')
    assert.equal(user.siteAdmin, false)
  })

  it('reads groups (string array, Keycloak objects, comma string) and grants admin by group', async () => {
    for (const groups of [['dev', 'platform'], [{ name: 'platform' }], 'dev, platform']) {
      const token = await sign({ sub: 'carol', groups })
      assert.equal((await as(token).call<ServiceUser>('GET', '/api/user')).body.siteAdmin, true)
    }
    const token = await sign({ sub: 'dave', groups: ['dev'] })
    await assertApiError(as(token).call('GET', '/api/admin/tokens/bob'), 403)
  })

  it('refuses expired, not-yet-valid, foreign and malformed tokens with 401 bodies the CLI reads', async () => {
    const now = seconds(clock.now())
    const cases: [string, Promise<string>, RegExp][] = [
      ['expired beyond the leeway', sign({ sub: 'bob' }, { exp: now - 31 }), /expired/],
      ['not valid yet', sign({ sub: 'bob', nbf: now + 120 }), /not valid yet/],
      ['wrong audience', sign({ sub: 'bob', aud: 'someone-else' }), /"aud" claim/],
      ['wrong issuer', sign({ sub: 'bob', iss: 'https://evil.example' }), /"iss" claim/],
      ['wrong secret', sign({ sub: 'bob' }, { secret: `${SECRET}x` }), /signature/],
      [
        'alg none',
        Promise.resolve(
          new UnsecuredJWT({
            sub: 'bob',
            iss: 'https://issuer.example',
            aud: 'pulumi',
            exp: now + 60,
          }).encode(),
        ),
        /algorithm|malformed/,
      ],
      ['no username claim', sign({ groups: ['x'] }), /"sub" claim/],
      ['garbage', Promise.resolve('a.b.c'), /malformed/],
    ]
    for (const [name, token, message] of cases) {
      const value = await token
      await assert.rejects(as(value).call('GET', '/api/user'), (error: unknown) => {
        const e = error as { status: number; code: number; apiMessage: string; response: { raw: Buffer } }
        assert.equal(e.status, 401, name)
        assert.equal(e.code, 401, name)
        assert.match(e.apiMessage, message, name)
        assert.ok(!e.response.raw.toString().includes(value), `${name}: the token is not echoed`)
        return true
      })
    }
    // Within the 30 s leeway an expired token still passes (clock skew between issuer and server).
    const skewed = await sign({ sub: 'bob' }, { exp: now - 10 })
    assert.equal((await as(skewed).call<ServiceUser>('GET', '/api/user')).body.githubLogin, 'bob')
  })

  it('lets a JWT user mint personal tokens that work like the JWT', async () => {
    const jwt = await sign({ sub: 'erin', groups: ['platform'] })
    const created = await as(jwt).call<{ tokenValue: string }>('POST', '/api/user/tokens', {
      body: { description: 'ci', expires: 0 },
    })
    const user = (await as(created.body.tokenValue).call<ServiceUser>('GET', '/api/user')).body
    assert.equal(user.githubLogin, 'erin')
    assert.equal(user.siteAdmin, true, 'groups captured at mint time')
  })
})

describe('jwt mode with a PEM public key', () => {
  let server: TestServer
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString()

  before(async () => {
    const dir = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'jwt-pem-'))
    const path = join(dir, 'public.pem')
    writeFileSync(path, pem)
    server = await startTestServer({ args: ['-auth-mode=jwt', `-jwt-signing-key=${path}`], dir })
  })
  after(() => server.close())

  it('accepts RS256 and refuses an HS256 token keyed with the public key (algorithm confusion)', async () => {
    const good = await new SignJWT({ sub: 'frank' })
      .setProtectedHeader({ alg: 'RS256' })
      .setExpirationTime('5m')
      .sign(rsa.privateKey)
    assert.equal(
      (await new CliClient(server.url, good).call<ServiceUser>('GET', '/api/user')).body.githubLogin,
      'frank',
    )
    const confused = await new SignJWT({ sub: 'mallory' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(pem))
    await assertApiError(new CliClient(server.url, confused).call('GET', '/api/user'), 401, /algorithm/)
    const noExp = await new SignJWT({ sub: 'frank' })
      .setProtectedHeader({ alg: 'RS256' })
      .sign(rsa.privateKey)
    await assertApiError(new CliClient(server.url, noExp).call('GET', '/api/user'), 401, /"exp" claim/)
  })
})

describe('jwt mode with a JWKS URL (ES256, key rotation)', () => {
  let server: TestServer
  const jwks = new JwksServer()

  before(async () => {
    await jwks.start()
    server = await startTestServer({ args: ['-auth-mode=jwt', `-jwt-jwks-url=${jwks.jwksUrl}`] })
  })
  after(async () => {
    await server.close()
    await jwks.close()
  })

  async function key(kid: string) {
    const pair = await generateKeyPair('ES256')
    const jwk = { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' }
    const sign = (sub: string) =>
      new SignJWT({ sub })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setExpirationTime('5m')
        .sign(pair.privateKey)
    return { jwk, sign }
  }

  it('follows a key rotation published at the JWKS URL', async () => {
    const first = await key('k1')
    jwks.keys = [first.jwk]
    const login = async (token: string) =>
      (await new CliClient(server.url, token).call<ServiceUser>('GET', '/api/user')).body.githubLogin
    assert.equal(await login(await first.sign('gina')), 'gina')

    const second = await key('k2')
    jwks.keys = [first.jwk, second.jwk]
    // jose refetches for an unknown kid at most once per cooldown (1 s); wait it out rather than race it.
    await sleep(1100)
    assert.equal(await login(await second.sign('gina')), 'gina')
    assert.ok(jwks.fetches >= 2, 'the set was fetched again')

    const stranger = await key('k3')
    await assertApiError(
      new CliClient(server.url, await stranger.sign('gina')).call('GET', '/api/user'),
      401,
      /unknown key/,
    )
  })
})
