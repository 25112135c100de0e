import { promisify } from 'node:util'
import { gzip as gzipCb } from 'node:zlib'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify'
import type { Logger } from 'pino'
import { InvalidError, UnauthenticatedError } from '../errors.js'
import type { Authenticator } from '../identity/authenticator.js'
import type { UpdateLeasePrincipal } from '../identity/principal.js'
import { recordRequest } from '../observability/http-metrics.js'
import type { Metrics } from '../observability/metrics.js'
import { type AccessDeps, installAccessHooks } from './access-hooks.js'
import { type BodyLimits, unparsedLimit } from './body-limits.js'
import { answerClientError } from './client-errors.js'
import { handleError } from './error-handler.js'
import { parseRequestBody } from './request-body.js'
import type { AuthKind, RouteConfig } from './route-config.js'
import { readCookie, SESSION_COOKIE } from './session-cookie.js'

const gzipAsync = promisify(gzipCb)

export type HttpServer = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  Logger,
  TypeBoxTypeProvider
>

/** Verifies `Authorization: update-token …` for the update named in the route's params. */
export interface LeaseAuthenticator {
  authenticate(token: string, params: Record<string, string>): Promise<UpdateLeasePrincipal>
}

export interface HttpDeps {
  logger: Logger
  /** The auth mode's authenticator for `Authorization: token …` (identity/, chosen in app.ts). */
  authenticator: Authenticator
  /** Reverse proxies (IPs/CIDRs) whose X-Forwarded-For is believed (-trusted-proxies). */
  trustedProxies: string[]
  leases: LeaseAuthenticator | undefined
  /** Largest accepted request bodies, raw and after gzip inflation, per kind of route (RouteConfig.body). */
  bodyLimits: BodyLimits
  https: { cert: Buffer; key: Buffer } | undefined
  /** Authorization (rbac/) and the audit log (audit/, absent with -audit-logs=false). */
  access: AccessDeps
  /** Prometheus metrics to record every answered request in (absent: none). */
  metrics?: Metrics | undefined
}

// Responses smaller than this are not worth compressing.
const GZIP_MIN_BYTES = 1024

/** One registered route, as the route table contract sees it. */
export interface RouteEntry {
  method: string
  url: string
  operationId: string
  auth: AuthKind
}

/**
 * The HTTP shell: body inflation and parsing, authentication, error mapping, response gzip. No business rules.
 * Every route registered later is recorded in `routes`.
 */
export function buildHttpServer(deps: HttpDeps, routes: RouteEntry[] = []): HttpServer {
  const app = Fastify({
    loggerInstance: deps.logger,
    // One access line per request is written by our onResponse hook instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // Routes get their own limit when registered; this one covers bodies sent to unknown routes.
    bodyLimit: deps.bodyLimits.json.bytes,
    // Stack and org names are case-sensitive; the CLI never sends trailing slashes we'd need to fold.
    // @pulumi/esc-sdk asks for `.../open//{openSessionID}` (a doubled slash in its generated client).
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    // Router-level failures (malformed percent-encoding, over-long names) bypass setErrorHandler and would answer
    // Fastify's own body, whose string `code` the CLI cannot decode (api.go :: decodeError).
    frameworkErrors: handleError,
    // Likewise for requests the HTTP parser refuses before routing.
    clientErrorHandler: answerClientError,
    // Fastify's drain-time 503 body has no numeric `code`; let requests that still arrive while closing finish
    // instead (Connection: close is set on them, and the database closes only after the server).
    return503OnClosing: false,
    ...(deps.trustedProxies.length > 0 ? { trustProxy: deps.trustedProxies } : {}),
    ...(deps.https ? { https: deps.https } : {}),
  } as Parameters<typeof Fastify>[0]) as unknown as HttpServer

  app.decorateRequest('principal', undefined)
  app.decorateRequest('bodyBytes', 0)
  app.decorateRequest('pendingAudit', undefined)
  app.decorateRequest('deniedReason', undefined)
  // Every route must say how it authenticates and which CLI endpoint it is: a route without either is a bug
  // caught at startup, not a hole found later.
  app.addHook('onRoute', (route) => {
    const config = route.config as Partial<RouteConfig> | undefined
    if (!config?.auth || !config.operationId || !config.permission) {
      throw new Error(
        `route ${String(route.method)} ${route.url} must declare config.auth, config.operationId and config.permission`,
      )
    }
    const bodyLimit = unparsedLimit(deps.bodyLimits, config.body ?? 'json')
    route.bodyLimit = bodyLimit.bytes
    route.config = { ...config, bodyLimit }
    for (const method of [route.method].flat()) {
      routes.push({ method, url: route.url, operationId: config.operationId, auth: config.auth })
    }
  })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request: FastifyRequest, body: string | Buffer) =>
    parseRequestBody(request, body as Buffer, deps.bodyLimits),
  )

  // Before authentication, so a refused credential on a mutating route is audited too.
  installAccessHooks(app, deps.access)
  app.addHook('onRequest', async (request) => {
    // A NUL can never be part of a name or id, and PostgreSQL refuses it in text values: answer it here.
    const params = request.params as Record<string, string> | undefined
    if (params && Object.values(params).some((value) => value.includes('\u0000'))) {
      throw new InvalidError('Bad Request: a path segment contains a NUL character')
    }
    const auth = request.routeOptions.config.auth
    if (auth === undefined || auth === 'public') return
    // A console page without a valid session answers a sign-in redirect (console-routes.ts), not a 401 body.
    if (auth === 'session') {
      const token = readCookie(request.headers.cookie, SESSION_COOKIE)
      // A token that has expired or was revoked is simply no session (the page asks to sign in again).
      request.principal = token
        ? await deps.authenticator.authenticate(token).catch(() => undefined)
        : undefined
      return
    }
    request.principal = await authenticate(deps, auth, request)
  })

  // Server-side handling time (W3C Server-Timing), so clients and benchmarks can tell server from network time.
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(2)}`)
    return payload
  })
  app.addHook('onSend', compressResponse)
  app.addHook('onResponse', async (request, reply) => {
    if (deps.metrics) recordRequest(deps.metrics, request, reply)
    request.log.info(
      {
        op: request.routeOptions.config.operationId,
        method: request.method,
        // Login callbacks carry an authorization code in the query: log the path only.
        url: request.routeOptions.config.secretQuery ? request.url.split('?')[0] : request.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    )
  })

  app.setErrorHandler(handleError)
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .send({ code: 404, message: `Not Found: no route for ${request.method} ${request.url}` })
  })
  return app
}

async function authenticate(
  deps: HttpDeps,
  auth: Exclude<AuthKind, 'public' | 'session'>,
  request: FastifyRequest,
) {
  const header = request.headers.authorization ?? ''
  const space = header.indexOf(' ')
  const scheme = space < 0 ? header : header.slice(0, space)
  const credential = space < 0 ? '' : header.slice(space + 1).trim()
  if (auth === 'token') {
    if (scheme === 'update-token') {
      throw new UnauthenticatedError(
        'Unauthorized: this endpoint requires an access token, not an update token',
      )
    }
    const user =
      scheme === 'token' || scheme === 'Bearer'
        ? await deps.authenticator.authenticate(credential)
        : undefined
    if (!user) throw new UnauthenticatedError('Unauthorized: No credentials provided or are invalid.')
    return user
  }
  if (scheme !== 'update-token' || credential === '' || !deps.leases) {
    throw new UnauthenticatedError(
      'Unauthorized: this endpoint requires the update token of a running update',
    )
  }
  return deps.leases.authenticate(credential, request.params as Record<string, string>)
}

/**
 * gzip large responses when the client accepts it. Never any other encoding: the CLI fails on anything but
 * gzip or no Content-Encoding at all (api.go :: readBody).
 */
async function compressResponse(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
  if (reply.getHeader('content-encoding') || request.routeOptions.config.compressResponse === false)
    return payload
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload
  if (Buffer.byteLength(payload) < GZIP_MIN_BYTES || !acceptsGzip(request)) return payload
  void reply.header('content-encoding', 'gzip').header('vary', 'accept-encoding')
  return gzipAsync(payload, { level: 6 })
}

export function acceptsGzip(request: FastifyRequest): boolean {
  const accept = request.headers['accept-encoding']
  if (!accept) return false
  return accept.split(',').some((part) => {
    const [coding, ...params] = part.trim().split(';')
    if (coding?.trim().toLowerCase() !== 'gzip') return false
    return !params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p))
  })
}
