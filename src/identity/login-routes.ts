import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { HttpServer } from '../http/http-server.js'
import { sessionCookie } from '../http/session-cookie.js'
import { errorPage, loginPage, tokenPage, welcomeCliPage } from './login-pages.js'
import { type CliLoginRequest, LOGIN_SESSION_MS, LoginError, type OidcLogin } from './oidc-login.js'

const STATE_COOKIE = 'oauth_state'
const CliLoginQuery = Type.Object({
  cliSessionPort: Type.Optional(Type.String()),
  cliSessionNonce: Type.Optional(Type.String()),
  cliSessionDescription: Type.Optional(Type.String()),
})
const TokenExchangeRequest = Type.Object({ idToken: Type.String({ minLength: 1 }) })

/**
 * Browser login (/login, /login/callback), `pulumi login` with PULUMI_CONSOLE_DOMAIN pointing here (/cli-login,
 * /welcome/cli: the CLI's side is pkg/backend/httpstate/backend.go :: loginWithBrowser), and the Go server's
 * ID-token exchange. Registered in oidc and google modes.
 */
export function loginRoutes(
  app: HttpServer,
  deps: { login: OidcLogin; providerName: string; publicUrl: string; loginEnabled: boolean },
): void {
  const { login } = deps
  const secure = (request: FastifyRequest) =>
    deps.publicUrl.startsWith('https:') || request.protocol === 'https'

  if (deps.loginEnabled) {
    app.route({
      method: 'GET',
      url: '/login',
      config: { operationId: 'loginPage', permission: 'public', auth: 'public' },
      handler: async (request, reply) => {
        const started = await startOrPage(reply, () => login.begin(undefined))
        if (!started) return reply
        setStateCookie(reply, started.csrf, secure(request))
        return html(reply, 200, loginPage(deps.providerName, started.authorizationUrl))
      },
    })

    app.route({
      method: 'GET',
      url: '/cli-login',
      config: { operationId: 'cliLogin', permission: 'public', auth: 'public' },
      schema: { querystring: CliLoginQuery },
      handler: async (request, reply) => {
        const cli = parseCliLogin(request.query)
        if (typeof cli === 'string') return html(reply, 400, errorPage(cli))
        const started = await startOrPage(reply, () => login.begin(cli))
        if (!started) return reply
        setStateCookie(reply, started.csrf, secure(request))
        return reply.code(307).header('location', started.authorizationUrl).send()
      },
    })

    app.route({
      method: 'GET',
      url: '/login/callback',
      config: {
        operationId: 'loginCallback',
        permission: 'public',
        audit: true,
        auth: 'public',
        secretQuery: true,
      },
      handler: async (request, reply) => {
        const query = new URL(request.url, 'http://callback').searchParams
        // Clear the state cookie whatever happens: it is single use (same attributes, or browsers keep it).
        void reply.header('set-cookie', stateCookie('', 0, secure(request)))
        try {
          const result = await login.complete(query, cookieOf(request, STATE_COOKIE))
          request.log.info(
            { audit: true, actor: result.user, action: 'loginSuccess', cli: !!result.cli },
            'audit',
          )
          if (result.cli) {
            // Back to the CLI's listener on this machine (backend.go :: serveBrowserLoginServer checks the nonce).
            const target = new URL(`http://127.0.0.1:${result.cli.port}/`)
            target.searchParams.set('accessToken', result.token)
            target.searchParams.set('nonce', result.cli.nonce)
            return reply.code(307).header('location', target.href).header('cache-control', 'no-store').send()
          }
          // A browser login also signs the web console in (its session cookie holds the same token).
          void reply.header('set-cookie', sessionCookie(result.token, secure(request)))
          return html(reply, 200, tokenPage(result.user, result.token, result.expiresAt, deps.publicUrl))
        } catch (error) {
          if (!(error instanceof LoginError)) throw error
          request.log.warn({ audit: true, action: 'loginFailed', reason: error.message }, 'audit')
          return html(reply, 400, errorPage(error.message))
        }
      },
    })
  }

  app.route({
    method: 'GET',
    url: '/welcome/cli',
    config: { operationId: 'welcomeCLI', permission: 'public', auth: 'public' },
    handler: async (_request, reply) => html(reply, 200, welcomeCliPage()),
  })

  app.route({
    method: 'POST',
    url: '/api/auth/token-exchange',
    config: { operationId: 'tokenExchange', permission: 'public', auth: 'public' },
    schema: { body: TokenExchangeRequest },
    handler: async (request) => {
      const result = await login.exchangeIdToken(request.body.idToken)
      request.log.info({ audit: true, actor: result.user, action: 'tokenExchange' }, 'audit')
      return {
        accessToken: result.token,
        userName: result.user,
        expiresAt: Math.floor(result.expiresAt / 1000),
      }
    },
  })
}

/** Validates what the CLI sends (backend.go :: loginWithBrowser); returns the problem as text when invalid. */
export function parseCliLogin(query: {
  cliSessionPort?: string | undefined
  cliSessionNonce?: string | undefined
  cliSessionDescription?: string | undefined
}): CliLoginRequest | string {
  const { cliSessionPort: port, cliSessionNonce: nonce } = query
  if (port === undefined || nonce === undefined) {
    return 'cliSessionPort and cliSessionNonce are required; start the login with `pulumi login`'
  }
  // Digits only: anything else (hosts, paths, "@", encoded characters) could steer the redirect elsewhere.
  if (!/^[1-9][0-9]{0,4}$/.test(port) || Number(port) > 65535) {
    return 'cliSessionPort must be a port number from 1 to 65535'
  }
  if (!/^[A-Za-z0-9_-]{16,256}$/.test(nonce)) return 'cliSessionNonce is not a valid nonce'
  const description = (query.cliSessionDescription ?? '').replace(/[^\x20-\x7e]/g, '').slice(0, 200)
  return { port: Number(port), nonce, description }
}

async function startOrPage<T>(reply: FastifyReply, start: () => Promise<T>): Promise<T | undefined> {
  try {
    return await start()
  } catch (error) {
    if (!(error instanceof LoginError)) throw error
    html(reply, 503, errorPage(error.message))
    return undefined
  }
}

function html(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header(
      'content-security-policy',
      "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; frame-ancestors 'none'",
    )
    .send(body)
}

function stateCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${STATE_COOKIE}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`
}

function setStateCookie(reply: FastifyReply, csrf: string, secure: boolean): void {
  void reply.header('set-cookie', stateCookie(csrf, LOGIN_SESSION_MS / 1000, secure))
}

function cookieOf(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}
