import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { type AddressInfo, createServer as createNetServer } from 'node:net'
import Provider from 'oidc-provider'

export interface TestAccount {
  sub: string
  email: string
  emailVerified?: boolean
  name?: string
  groups?: unknown
}

/**
 * A real OpenID Connect provider (`oidc-provider`) on loopback. Its user interaction (login form and consent) is
 * answered by the test: whoever `nextAccount` names signs in and consents.
 */
export class OidcIssuer {
  url = ''
  accounts = new Map<string, TestAccount>()
  nextAccount: string | undefined
  // biome-ignore lint/suspicious/noExplicitAny: untyped third-party test dependency
  provider: any
  readonly #server: Server

  constructor() {
    this.#server = createServer((request, response) => void this.#handle(request, response))
  }

  async start(client: { clientId: string; clientSecret: string; redirectUri: string }): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
    this.provider = new Provider(this.url, {
      clients: [
        {
          client_id: client.clientId,
          client_secret: client.clientSecret,
          redirect_uris: [client.redirectUri],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        },
      ],
      cookies: { keys: ['test-cookie-key'] },
      claims: {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['name'],
        groups: ['groups'],
      },
      // Put requested claims in the ID token itself, as most providers do for the code flow.
      conformIdTokenClaims: false,
      features: { devInteractions: { enabled: false } },
      interactions: {
        url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
      },
      findAccount: async (_ctx: unknown, id: string) => {
        const account = this.accounts.get(id)
        if (!account) return undefined
        return {
          accountId: id,
          claims: async () => ({
            sub: account.sub,
            email: account.email,
            email_verified: account.emailVerified ?? true,
            name: account.name ?? account.sub,
            ...(account.groups !== undefined ? { groups: account.groups } : {}),
          }),
        }
      },
    })
    return this
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      if (request.url?.startsWith('/interaction/')) {
        const details = await this.provider.interactionDetails(request, response)
        const accountId = this.nextAccount
        if (details.prompt.name === 'login') {
          if (!accountId) throw new Error('no test account chosen')
          await this.provider.interactionFinished(request, response, { login: { accountId } })
          return
        }
        const grant = new this.provider.Grant({
          accountId: details.session.accountId,
          clientId: details.params.client_id,
        })
        grant.addOIDCScope(details.params.scope)
        const grantId = await grant.save()
        await this.provider.interactionFinished(
          request,
          response,
          { consent: { grantId } },
          { mergeWithLastSubmission: true },
        )
        return
      }
      this.provider.callback()(request, response)
    } catch (error) {
      response.writeHead(500).end(String(error))
    }
  }

  async close(): Promise<void> {
    if (!this.#server.listening) return
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}

/**
 * A minimal browser: follows redirects by hand and keeps cookies per host name (browsers ignore the port for
 * cookies), so every hop can be inspected.
 */
export class TestBrowser {
  readonly cookies = new Map<string, Map<string, string>>()
  /** Every URL visited, in order. */
  readonly visited: string[] = []

  async get(url: string): Promise<Response> {
    const target = new URL(url)
    this.visited.push(target.href)
    const jar = this.cookies.get(target.hostname) ?? new Map<string, string>()
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
    const response = await fetch(target, { redirect: 'manual', headers: cookie ? { cookie } : {} })
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const eq = pair?.indexOf('=') ?? -1
      if (!pair || eq < 0) continue
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      if (value === '' || /max-age=0/i.test(line)) jar.delete(name)
      else jar.set(name, value)
    }
    this.cookies.set(target.hostname, jar)
    return response
  }

  /** Follows redirects until `stop` says so (or a non-redirect answer); returns the last response and its URL. */
  async follow(
    url: string,
    stop: (url: URL) => boolean = () => false,
  ): Promise<{ response: Response; url: URL }> {
    let current = new URL(url)
    for (let hops = 0; hops < 20; hops++) {
      if (stop(current)) return { response: new Response(null, { status: 599 }), url: current }
      const response = await this.get(current.href)
      const location = response.headers.get('location')
      if (response.status < 300 || response.status >= 400 || !location) return { response, url: current }
      await response.arrayBuffer()
      current = new URL(location, current)
    }
    throw new Error('too many redirects')
  }
}

export async function freePort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** The CLI's side of `pulumi login` (backend.go :: serveBrowserLoginServer): checks the nonce, keeps the token. */
export async function startCliListener(nonce: string, welcomeUrl: string) {
  const received: string[] = []
  const server: Server = createServer((request, response) => {
    const query = new URL(request.url ?? '/', 'http://cli').searchParams
    const token = query.get('accessToken') ?? ''
    if (token === '' || query.get('nonce') !== nonce) {
      response.writeHead(400).end()
      return
    }
    received.push(token)
    response.writeHead(307, { location: welcomeUrl }).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** Starts the issuer with the backend registered as client `backend`; the backend must listen on `port`. */
export async function startIssuerForBackend(issuer: OidcIssuer) {
  const port = await freePort()
  const publicUrl = `http://127.0.0.1:${port}`
  await issuer.start({
    clientId: 'backend',
    clientSecret: 'client-s3cret',
    redirectUri: `${publicUrl}/login/callback`,
  })
  const args = [
    '-auth-mode=oidc',
    `-public-url=${publicUrl}`,
    `-oidc-issuer=${issuer.url}`,
    '-oidc-client-id=backend',
    '-oidc-client-secret=client-s3cret',
  ]
  return { port, publicUrl, args }
}

/**
 * `pulumi login` against a backend with PULUMI_CONSOLE_DOMAIN set: the CLI's listener, the browser opening
 * /cli-login (on `from`, default the public URL), the provider signing `account` in, and back.
 */
export async function cliLoginThrough(
  issuer: OidcIssuer,
  publicUrl: string,
  account: string,
  from = publicUrl,
) {
  issuer.nextAccount = account
  const nonce = randomBytes(32).toString('hex')
  const cli = await startCliListener(nonce, `${publicUrl}/welcome/cli`)
  const browser = new TestBrowser()
  try {
    const query = new URLSearchParams({
      cliSessionPort: String(cli.port),
      cliSessionNonce: nonce,
      cliSessionDescription: 'Generated by pulumi login on laptop',
    })
    const { response, url } = await browser.follow(`${from}/cli-login?${query}`)
    return { response, url, token: cli.received[0], browser, body: await response.text() }
  } finally {
    await cli.close()
  }
}
