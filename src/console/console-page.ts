import type { FastifyReply, FastifyRequest } from 'fastify'
import { ForbiddenError, NotFoundError } from '../errors.js'
import { errorResponse } from '../http/error-handler.js'
import type { HttpServer } from '../http/http-server.js'
import type { AuthKind } from '../http/route-config.js'
import type { UserPrincipal } from '../identity/principal.js'
import type { AccessControl } from '../rbac/access-control.js'
import type { StackRef } from '../stacks/stack.js'
import { type ConsoleAction, consoleVerdict } from './console-authorization.js'
import { consoleOperation } from './console-route.js'
import { csrfTokenOf } from './console-session.js'
import { errorPage } from './pages/layout.js'
import { setConsoleHeaders } from './security-headers.js'

export type PageHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<string | undefined>
/** Registers one console page or form target: the handler answers HTML, or undefined when it replied itself. */
export type PageRegistrar = (
  method: 'GET' | 'POST',
  url: string,
  name: string,
  auth: AuthKind,
  handler: PageHandler,
) => void

export function pageRegistrar(app: HttpServer): PageRegistrar {
  return (method, url, name, auth, handler) =>
    app.route({
      method,
      url,
      // Form posts arrive urlencoded (formBody lets them past the JSON-only media check): the console parses them
      // itself, and checks their origin and CSRF token.
      config: {
        operationId: consoleOperation(name),
        // The console checks the session itself (redirecting to /signin) and authorizes each page through
        // authorizeConsole, with the same RBAC decision (team grants included) as the API.
        permission: 'public',
        auth,
        rawBody: true,
        scansJson: true,
        formBody: true,
      },
      handler: async (request, reply) => {
        setConsoleHeaders(reply)
        // The API's paths are never console pages, whatever parametric route they fall into.
        if (request.url.startsWith('/api/'))
          throw new NotFoundError(`Not Found: no route for ${request.method} ${request.url}`)
        if (auth === 'session' && !request.principal) return reply.redirect('/signin', 303)
        try {
          const body = await handler(request, reply)
          if (body === undefined) return reply
          return reply.type('text/html; charset=utf-8').send(body)
        } catch (error) {
          const { code, message } = errorResponse(error)
          if (code >= 500) request.log.error({ err: error }, 'console page failed')
          return reply
            .code(code)
            .type('text/html; charset=utf-8')
            .send(
              errorPage(code, code >= 500 ? 'Internal error; see the server log' : message, frameOf(request)),
            )
        }
      },
    })
}

export const frameOf = (request: FastifyRequest) =>
  request.principal?.kind === 'user'
    ? { login: request.principal.login, csrf: csrfTokenOf(request) }
    : undefined

/** The signed-in page's frame (session pages only run with a user). */
export const userFrame = (request: FastifyRequest) => ({
  login: userOf(request).login,
  csrf: csrfTokenOf(request),
})

export const userOf = (request: FastifyRequest) => request.principal as UserPrincipal

export const formOf = (request: FastifyRequest) =>
  new URLSearchParams((request.body as Buffer | undefined)?.toString('utf8') ?? '')

export const queryOf = (request: FastifyRequest) => request.query as Record<string, string | undefined>

export async function requireAllowed(
  access: AccessControl,
  request: FastifyRequest,
  action: ConsoleAction,
  target?: StackRef | { org: string },
): Promise<void> {
  const verdict = await consoleVerdict(access, userOf(request), action, target)
  if (verdict.allow) return
  if (verdict.hide && target && 'stack' in target) {
    throw new NotFoundError(`Not Found: stack '${target.org}/${target.project}/${target.stack}' not found`)
  }
  throw new ForbiddenError(`Forbidden: you may not ${action.replace(':', ' ')} here`)
}
