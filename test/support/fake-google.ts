import type { KeyObject } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, type JWTPayload, jwtVerify, SignJWT } from 'jose'

type Groups = Record<string, string[]>

/**
 * A local server speaking the JSON shapes of the Google APIs the google mode uses: OpenID discovery and keys
 * (accounts.google.com), the metadata server, IAM Credentials signJwt / generateAccessToken, the OAuth token
 * endpoint's JWT-bearer grant, and the Admin SDK Directory groups.list. It checks the credentials each call
 * must carry, and records what it was asked.
 */
export class FakeGoogle {
  url = ''
  /** userKey → groups it is a direct member of. */
  groups: Groups = {}
  directoryCalls: string[] = []
  /** Makes the Directory API fail (to test the fallback). */
  directoryDown = false
  /** The public key of a service-account key file the token endpoint trusts (dwd-keyfile). */
  keyFilePublicKey: KeyObject | undefined
  readonly #server: Server
  #keys!: Awaited<ReturnType<typeof generateKeyPair>>
  readonly #directoryTokens = new Set<string>()

  constructor() {
    this.#server = createServer((request, response) => {
      this.#handle(request).then(
        ([status, body]) =>
          response
            .writeHead(status, {
              'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
            })
            .end(typeof body === 'string' ? body : JSON.stringify(body)),
        (error: unknown) => response.writeHead(500).end(String(error)),
      )
    })
  }

  async start(): Promise<this> {
    this.#keys = await generateKeyPair('RS256')
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
    return this
  }

  /** An ID token as Google signs them. */
  idToken(claims: JWTPayload): Promise<string> {
    return new SignJWT({ iss: this.url, email_verified: true, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'g1' })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(this.#keys.privateKey)
  }

  async #handle(request: IncomingMessage): Promise<[number, unknown]> {
    const url = new URL(request.url ?? '/', this.url)
    const body = await readBody(request)
    const bearer = (request.headers.authorization ?? '').replace(/^Bearer /, '')
    if (url.pathname === '/.well-known/openid-configuration') {
      return [
        200,
        {
          issuer: this.url,
          jwks_uri: `${this.url}/jwks`,
          authorization_endpoint: `${this.url}/o/oauth2/v2/auth`,
          token_endpoint: `${this.url}/token`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
        },
      ]
    }
    if (url.pathname === '/jwks') {
      return [
        200,
        { keys: [{ ...(await exportJWK(this.#keys.publicKey)), kid: 'g1', alg: 'RS256', use: 'sig' }] },
      ]
    }
    if (url.pathname.startsWith('/computeMetadata/')) {
      if (request.headers['metadata-flavor'] !== 'Google') return [403, 'missing Metadata-Flavor']
      if (url.pathname.endsWith('/email')) return [200, 'runtime-sa@proj.iam.gserviceaccount.com']
      return [200, { access_token: 'metadata-token', expires_in: 3600, token_type: 'Bearer' }]
    }
    const iam = /^\/v1\/projects\/-\/serviceAccounts\/([^:]+):(signJwt|generateAccessToken)$/.exec(
      url.pathname,
    )
    if (iam) {
      if (bearer !== 'metadata-token') return [401, { error: { code: 401 } }]
      const request = JSON.parse(body) as { payload?: string; scope?: string[] }
      if (iam[2] === 'signJwt') {
        const payload = JSON.parse(request.payload ?? '{}') as JWTPayload
        if (payload.iss !== decodeURIComponent(iam[1] ?? '')) return [400, { error: { code: 400 } }]
        const signedJwt = await new SignJWT(payload)
          .setProtectedHeader({ alg: 'RS256' })
          .sign(this.#keys.privateKey)
        return [200, { keyId: 'k', signedJwt }]
      }
      if (!request.scope?.some((s) => s.includes('admin.directory.group.readonly')))
        return [400, { error: {} }]
      return [
        200,
        { accessToken: this.#mint('admin-role'), expireTime: new Date(Date.now() + 3600_000).toISOString() },
      ]
    }
    if (url.pathname === '/token') {
      const form = new URLSearchParams(body)
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
        return [400, { error: 'unsupported_grant_type' }]
      const assertion = form.get('assertion') ?? ''
      for (const key of [this.#keys.publicKey, this.keyFilePublicKey]) {
        if (!key) continue
        try {
          const { payload } = await jwtVerify(assertion, key)
          if (!payload.sub || !String(payload.scope).includes('admin.directory.group.readonly')) break
          return [
            200,
            { access_token: this.#mint(`dwd:${payload.sub}`), expires_in: 3600, token_type: 'Bearer' },
          ]
        } catch {}
      }
      return [400, { error: 'invalid_grant' }]
    }
    if (url.pathname === '/admin/directory/v1/groups') {
      if (!this.#directoryTokens.has(bearer)) return [401, { error: { code: 401 } }]
      if (this.directoryDown) return [503, { error: { code: 503 } }]
      const userKey = url.searchParams.get('userKey') ?? ''
      this.directoryCalls.push(
        `${userKey}${url.searchParams.has('domain') ? ` domain=${url.searchParams.get('domain')}` : ''}`,
      )
      // One group per page, so paging is exercised.
      const all = this.groups[userKey] ?? []
      const index = Number(url.searchParams.get('pageToken') ?? '0')
      const page = all.slice(index, index + 1).map((email) => ({ kind: 'admin#directory#group', email }))
      return [
        200,
        {
          kind: 'admin#directory#groups',
          groups: page,
          ...(index + 1 < all.length ? { nextPageToken: String(index + 1) } : {}),
        },
      ]
    }
    return [404, 'not found']
  }

  #mint(kind: string): string {
    const token = `${kind}-${this.#directoryTokens.size}`
    this.#directoryTokens.add(token)
    return token
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
