import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import type { AuditEvent, AuditResult } from '../audit/audit-event.js'
import type { AuditLog } from '../audit/audit-log.js'
import { auditScope } from '../audit/audit-scope.js'
import { isAudited } from '../audit/audited-routes.js'
import { ForbiddenError, NotFoundError } from '../errors.js'
import type { Principal } from '../identity/principal.js'
import type { AccessControl } from '../rbac/access-control.js'
import type { Resource } from '../rbac/permission.js'
import type { HttpServer } from './http-server.js'
import type { AuditOutcome, RouteConfig } from './route-config.js'

export interface AccessDeps {
  access: AccessControl
  /** Absent with -audit-logs=false. */
  audit: AuditLog | undefined
}

/**
 * Authorization and audit, the two cross-cutting steps after authentication:
 * - every audited route's handler runs inside its pending audit event (audit-scope.ts), which the store commits
 *   with the request's change;
 * - before the handler, one `authorize` decision; a refusal is a 403 (or 404 when the caller may not even read
 *   the stack, so existence does not leak) and an audit event, and the handler never runs;
 * - after the response, an event no transaction took (failure, denial, no write) is written on its own.
 */
export function installAccessHooks(app: HttpServer, deps: AccessDeps): void {
  const { audit } = deps
  app.addHook('onRoute', (route: RouteOptions) => {
    const config = route.config as RouteConfig
    if (!audit || ![route.method].flat().some((method) => isAudited(method, config))) return
    const handler = route.handler
    route.handler = function auditedHandler(this: unknown, request: FastifyRequest, reply: FastifyReply) {
      const pending = request.pendingAudit
      return pending
        ? auditScope.run(pending, () => handler.call(this as never, request, reply))
        : handler.call(this as never, request, reply)
    } as typeof handler
  })

  if (audit) {
    app.addHook('onRequest', async (request) => {
      const config = request.routeOptions.config as Partial<RouteConfig>
      if (!config.operationId || !isAudited(request.method, config as RouteConfig)) return
      const outcome: AuditOutcome = { denied: undefined }
      request.pendingAudit = {
        result: outcome,
        written: false,
        draft: () => eventOf(audit, request, 'success', 200, ''),
        committed: (event) => {
          outcome.committedSeq = event.seq
          audit.sink(event)
        },
      }
    })
  }

  app.addHook('preHandler', async (request) => {
    const config = request.routeOptions.config as RouteConfig
    if (config.permission === undefined || config.permission === 'public') return
    const resource = resourceOf(request)
    const verdict = await deps.access.decideWithTeams(request.principal, config.permission, resource)
    if (!verdict.allow) {
      if (request.pendingAudit) request.pendingAudit.result.denied = verdict.reason
      else if (audit) request.deniedReason = verdict.reason
      if (verdict.hide) throw new NotFoundError(notFoundMessage(resource))
      throw new ForbiddenError(`Forbidden: ${verdict.reason}`)
    }
    // RBAC administrators manage the organization like -admin-users do (token services check `admin`).
    if (config.permission === 'org:admin' && request.principal?.kind === 'user' && !request.principal.admin) {
      request.principal = { ...request.principal, admin: true }
    }
  })

  if (audit) {
    app.addHook('onResponse', async (request, reply) => {
      const pending = request.pendingAudit
      const denied = pending?.result.denied ?? request.deniedReason
      // Denials of reads are audited too: "who tried to look" matters as much as "who tried to change".
      if (pending?.written && pending.result.committedSeq !== undefined && reply.statusCode >= 400) {
        // The event went out with a change an earlier transaction committed, and the request failed after it
        // (a handler running two transactions): the chain cannot be edited, so a second event says how it ended.
        const note = `failed after its change committed with event ${pending.result.committedSeq}`
        await recordQuietly(request, eventOf(audit, request, 'failure', reply.statusCode, note))
        return
      }
      if (pending?.written || (!pending && denied === undefined)) return
      if (pending) pending.written = true
      const result: AuditResult =
        denied !== undefined ? 'denied' : reply.statusCode < 400 ? 'success' : 'failure'
      await recordQuietly(request, eventOf(audit, request, result, reply.statusCode, denied ?? ''))
    })
  }

  async function recordQuietly(request: FastifyRequest, event: AuditEvent): Promise<void> {
    try {
      await audit?.record(event)
    } catch (error) {
      request.log.error({ err: error }, 'audit event not written')
    }
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when a read was refused (reads carry no pending event). */
    deniedReason: string | undefined
  }
}

/** `org/project/stack` as far as the path (and, for stack creation, the body) names them. */
export function resourceOf(request: FastifyRequest): Resource {
  const params = (request.params ?? {}) as Record<string, string | undefined>
  const body = request.body as { stackName?: unknown } | undefined
  const stack =
    params.stackName ??
    (request.routeOptions.config.permission === 'stack:create' && typeof body?.stackName === 'string'
      ? body.stackName
      : undefined)
  if (request.routeOptions.config.permission?.startsWith('env:')) return environmentOf(request, params)
  return { org: params.orgName, project: params.projectName, stack }
}

/** `org/project/env` of an ESC route; environment creation names it in the body (project "default" if none). */
function environmentOf(request: FastifyRequest, params: Record<string, string | undefined>): Resource {
  const body = request.body as { project?: unknown; name?: unknown } | undefined
  const creating = request.routeOptions.config.permission === 'env:create'
  const project = creating ? (typeof body?.project === 'string' && body.project) || 'default' : undefined
  const name = creating && typeof body?.name === 'string' ? body.name : undefined
  return { org: params.orgName, project: params.projectName ?? project, environment: params.envName ?? name }
}

function notFoundMessage(resource: Resource): string {
  // The services' own wording, so a hidden environment or stack reads exactly like a missing one.
  if (resource.environment !== undefined)
    return `Not Found: environment ${resource.org}/${resource.project}/${resource.environment} not found`
  return `Not Found: stack '${resource.org}/${resource.project}/${resource.stack}' not found`
}

function eventOf(
  audit: AuditLog,
  request: FastifyRequest,
  result: AuditResult,
  status: number,
  description: string,
): AuditEvent {
  const resource = resourceOf(request)
  const params = (request.params ?? {}) as Record<string, string | undefined>
  const path = [resource.org, resource.project, resource.stack ?? resource.environment]
    .filter(Boolean)
    .join('/')
  const subject = params.tokenId ?? params.userName ?? params.teamName
  return {
    timeMs: audit.clock.now(),
    org: resource.org ?? audit.defaultOrg,
    actor: actorOf(request.principal),
    tokenName: request.principal?.kind === 'user' ? request.principal.tokenName : undefined,
    action: request.routeOptions.config.operationId ?? 'unknown',
    method: request.method,
    resource: subject ? (path ? `${path}:${subject}` : subject) : path,
    result,
    httpStatus: status,
    sourceIp: request.ip,
    userAgent: String(request.headers['user-agent'] ?? '').slice(0, 256),
    description,
  }
}

export function actorOf(principal: Principal | undefined): string {
  if (!principal) return 'anonymous'
  return principal.kind === 'user' ? principal.login : `update:${principal.updateId}`
}
