import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose'
import { StartupError } from '../../src/app.js'
import { assertApiError } from '../support/assert-api-error.js'
import { CliClient } from '../support/cli-client.js'
import { exerciseCliSession } from '../support/cli-session.js'
import { JwksServer } from '../support/jwks-server.js'
import { startTestServer, type TestServer } from '../support/test-server.js'

/** A local issuer signing ID tokens shaped like GitHub Actions' (token.actions.githubusercontent.com). */
async function startIssuer() {
  const jwks = await new JwksServer().start()
  const { publicKey, privateKey } = await generateKeyPair('RS256')
  jwks.keys = [{ ...(await exportJWK(publicKey)), kid: 'gh1', alg: 'RS256', use: 'sig' }]
  jwks.documents.set('/.well-known/openid-configuration', {
    issuer: jwks.url,
    jwks_uri: jwks.jwksUrl,
    authorization_endpoint: `${jwks.url}/authorize`,
    token_endpoint: `${jwks.url}/token`,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
  })
  const sign = (claims: JWTPayload, expiresIn: string | number = '5m') =>
    new SignJWT({
      iss: jwks.url,
      aud: 'urn:pulumi:org:acme',
      sub: 'repo:acme/infra:ref:refs/heads/main',
      repository: 'acme/infra',
      repository_owner: 'acme',
      ref: 'refs/heads/main',
      workflow: 'deploy',
      event_name: 'push',
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'gh1' })
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(privateKey)
  return { jwks, sign }
}

/** The exact form `pulumi login --oidc-token … --oidc-org acme` posts (client.go :: ExchangeOidcToken). */
function cliForm(
  token: string,
  options: { type?: string; scope?: string; expiration?: number; org?: string } = {},
) {
  return new URLSearchParams({
    audience: `urn:pulumi:org:${options.org ?? 'acme'}`,
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    requested_token_type: `urn:pulumi:token-type:access_token:${options.type ?? 'organization'}`,
    scope: options.scope ?? '',
    subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
    subject_token: token,
    expiration: String(options.expiration ?? 7200),
  }).toString()
}

interface Grant {
  access_token: string
  issued_token_type: string
  token_type: string
  expires_in: number
  scope: string
}

describe('OIDC token exchange (POST /api/oauth/token)', () => {
  let issuer: Awaited<ReturnType<typeof startIssuer>>
  let server: TestServer
  let anonymous: CliClient

  before(async () => {
    issuer = await startIssuer()
    const dir = mkdtempSync(join(tmpdir(), 'exchange-'))
    const policies = join(dir, 'policies.json')
    writeFileSync(
      policies,
      JSON.stringify({
        issuers: [
          {
            issuer: issuer.jwks.url,
            maxExpiration: 3600,
            policies: [
              {
                name: 'infra-main',
                tokenType: 'organization',
                claims: { repository: 'acme/infra', ref: 'refs/heads/main' },
              },
              {
                name: 'release-tags',
                tokenType: 'personal',
                userLogin: 'deployer',
                groups: ['release'],
                claims: { repository_owner: 'acme', ref: 'refs/tags/v*' },
              },
            ],
          },
        ],
      }),
    )
    server = await startTestServer({ args: [`-token-exchange-policies=${policies}`], dir })
    anonymous = new CliClient(server.url, '')
  })
  after(async () => {
    await server.close()
    await issuer.jwks.close()
  })

  const post = (body: string, contentType = 'application/x-www-form-urlencoded') =>
    anonymous.call<Grant>('POST', '/api/oauth/token', {
      rawBody: Buffer.from(body),
      headers: { 'Content-Type': contentType },
    })

  it('exchanges a matching GitHub Actions token for an organization token the CLI then uses', async () => {
    const grant = (await post(cliForm(await issuer.sign({})))).body
    assert.equal(grant.issued_token_type, 'urn:pulumi:token-type:access_token:organization')
    assert.equal(grant.token_type, 'token')
    assert.equal(grant.expires_in, 3600, 'capped at the issuer’s maxExpiration')
    assert.equal(grant.scope, '')
    assert.match(grant.access_token, /^pul-[0-9a-f]{64}$/)

    const ci = new CliClient(server.url, grant.access_token)
    const user = await ci.call<{ githubLogin: string; tokenInfo: unknown }>('GET', '/api/user')
    assert.equal(user.body.githubLogin, 'acme')
    assert.deepEqual(user.body.tokenInfo, { name: 'infra-main', organization: 'acme' })
    assert.equal(await exerciseCliSession(ci, 'acme', 'from-ci'), 'acme')
  })

  it('issues a personal token from a JSON request (pulumi/auth-actions) when the user policy matches', async () => {
    const token = await issuer.sign({ ref: 'refs/tags/v1.2.0' })
    const body = JSON.stringify({
      audience: 'urn:pulumi:org:acme',
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      requested_token_type: 'urn:pulumi:token-type:access_token:personal',
      subject_token: token,
      scope: 'user:deployer',
      expiration: 600,
    })
    const grant = (await post(body, 'application/json')).body
    assert.equal(grant.expires_in, 600)
    assert.equal(grant.scope, 'user:deployer')
    const user = await new CliClient(server.url, grant.access_token).call<{ githubLogin: string }>(
      'GET',
      '/api/user',
    )
    assert.equal(user.body.githubLogin, 'deployer')
  })

  it('refuses tokens no policy allows, foreign or expired tokens, with 401', async () => {
    const cases: [string, string, RegExp][] = [
      ['other branch', cliForm(await issuer.sign({ ref: 'refs/heads/feature' })), /no trust policy/],
      ['other repository', cliForm(await issuer.sign({ repository: 'evil/infra' })), /no trust policy/],
      [
        'personal for another user',
        cliForm(await issuer.sign({ ref: 'refs/tags/v1' }), { type: 'personal', scope: 'user:root' }),
        /no trust policy/,
      ],
      ['expired', cliForm(await issuer.sign({}, Math.floor(Date.now() / 1000) - 3600)), /expired/],
      [
        'token for another organization',
        cliForm(await issuer.sign({ aud: 'urn:pulumi:org:other' })),
        /"aud" claim/,
      ],
      [
        'untrusted issuer',
        cliForm(await issuer.sign({ iss: 'https://token.actions.githubusercontent.com' })),
        /issuer is not trusted/,
      ],
    ]
    for (const [name, body, message] of cases) {
      await assertApiError(post(body), 401, message).catch((error: unknown) => {
        throw new Error(`${name}: ${String(error)}`)
      })
    }
  })

  it('refuses malformed requests with 400', async () => {
    const token = await issuer.sign({})
    const cases: [string, string, RegExp][] = [
      ['wrong org', cliForm(token, { org: 'other' }), /audience must be urn:pulumi:org:acme/],
      ['team token', cliForm(token, { type: 'team', scope: 'team:ops' }), /team tokens are not supported/],
      ['personal without user', cliForm(token, { type: 'personal' }), /user:<login>/],
      ['not a JWT', cliForm('not-a-jwt'), /not a JWT/],
      ['refresh grant', 'grant_type=refresh_token&refresh_token=x', /unsupported grant_type/],
      ['bad expiration', cliForm(token).replace('expiration=7200', 'expiration=-5'), /expiration/],
    ]
    for (const [name, body, message] of cases) {
      await assertApiError(post(body), 400, message).catch((error: unknown) => {
        throw new Error(`${name}: ${String(error)}`)
      })
    }
  })

  it('refuses to start with a policy file that would trust too much, listing every problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exchange-bad-'))
    const path = join(dir, 'policies.json')
    writeFileSync(
      path,
      JSON.stringify({
        issuers: [{ issuer: 'http://token.example', policies: [{ tokenType: 'personal', claims: {} }] }],
      }),
    )
    await assert.rejects(
      startTestServer({ args: [`-token-exchange-policies=${path}`], dir }),
      (error: unknown) => {
        assert.ok(error instanceof StartupError)
        assert.match(error.message, /issuer must be an https URL/)
        assert.match(error.message, /userLogin is required/)
        assert.match(error.message, /at least one condition/)
        return true
      },
    )
  })
})

describe('ID-token exchange of the Go server (POST /api/auth/token-exchange, oidc mode)', () => {
  let issuer: Awaited<ReturnType<typeof startIssuer>>
  let server: TestServer

  before(async () => {
    issuer = await startIssuer()
    server = await startTestServer({
      args: [
        '-auth-mode=oidc',
        `-oidc-issuer=${issuer.jwks.url}`,
        '-oidc-client-id=backend',
        '-oidc-client-secret=s',
        '-public-url=http://127.0.0.1:1',
        '-oidc-allowed-domains=example.com',
      ],
    })
  })
  after(async () => {
    await server.close()
    await issuer.jwks.close()
  })

  const exchange = (idToken: string) =>
    new CliClient(server.url, '').call<{ accessToken: string; userName: string; expiresAt: number }>(
      'POST',
      '/api/auth/token-exchange',
      { body: { idToken } },
    )

  it('turns an ID token issued to this client into a backend token', async () => {
    const result = await exchange(await issuer.sign({ aud: 'backend', email: 'ann@example.com' }))
    assert.equal(result.body.userName, 'ann@example.com')
    assert.ok(result.body.expiresAt > Date.now() / 1000)
    const user = await new CliClient(server.url, result.body.accessToken).call<{ githubLogin: string }>(
      'GET',
      '/api/user',
    )
    assert.equal(user.body.githubLogin, 'ann@example.com')
  })

  it('refuses ID tokens for another client, outside the allowed domains, or missing', async () => {
    await assertApiError(
      exchange(await issuer.sign({ aud: 'other', email: 'ann@example.com' })),
      401,
      /not valid/,
    )
    await assertApiError(
      exchange(await issuer.sign({ aud: 'backend', email: 'eve@evil.org' })),
      401,
      /domain/,
    )
    await assertApiError(exchange(''), 400)
  })
})
