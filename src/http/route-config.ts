import type { PendingAudit } from '../audit/audit-scope.js'
import type { Principal, UpdateLeasePrincipal, UserPrincipal } from '../identity/principal.js'
import type { Permission } from '../rbac/permission.js'
import type { BodyClass, BodyLimit } from './body-limits.js'

/**
 * How a route authenticates:
 * - `token`: `Authorization: token <access token>` (the user's login token);
 * - `update-token`: `Authorization: update-token <lease>` of the update named in the path;
 * - `session`: the web console's session cookie (a signed-in browser); the console redirects when absent;
 * - `public`: health probes and the like.
 */
export type AuthKind = 'public' | 'token' | 'update-token' | 'session'

export interface RouteConfig {
  /** The CLI's own endpoint name (pkg/backend/httpstate/client/api_endpoints.go) where one exists. */
  operationId: string
  auth: AuthKind
  /** What the caller must be allowed (rbac/permission.ts); the shell asks `authorize` before the handler. */
  permission: Permission
  /** Audit this route even though its method is a read (login callbacks). */
  audit?: boolean
  /** Hand the handler the (gunzipped) body bytes instead of parsed JSON: for byte-exact state uploads. */
  rawBody?: boolean
  /** false: the handler chooses the encoding itself (stored gzip bytes), the shell must not compress. */
  compressResponse?: boolean
  /** The query string carries secrets (OAuth code and state): access logs show the path only. */
  secretQuery?: boolean
  /** The handler validates the raw body with the raw-json scanner, which bounds nesting: skip the shell's check. */
  scansJson?: boolean
  /** The body may also be application/x-www-form-urlencoded (OAuth token requests); JSON only otherwise. */
  formBody?: boolean
  /** The body is an ESC YAML document (application/x-yaml, as the ESC clients send it) besides JSON. */
  yamlBody?: boolean
  /** Which size limit the body falls under (body-limits.ts); `json` when absent. */
  body?: BodyClass
  /** Set by the HTTP shell when the route is registered: the limit `body` resolves to. */
  bodyLimit?: BodyLimit
}

declare module 'fastify' {
  interface FastifyContextConfig extends Partial<RouteConfig> {}
  interface FastifyRequest {
    principal: Principal | undefined
    /** This request's audit event until it is written (audited routes only). */
    pendingAudit: (PendingAudit & { result: AuditOutcome }) | undefined
  }
}

/** How an audited request ended, as far as the shell knows before the response. */
export interface AuditOutcome {
  denied: string | undefined
  /** The seq of the event committed with the request's change, once a transaction took it. */
  committedSeq?: number | undefined
}

export function userOf(principal: Principal | undefined): UserPrincipal {
  if (principal?.kind !== 'user') throw new Error('route declared auth "token" but has no user principal')
  return principal
}

export function leaseOf(principal: Principal | undefined): UpdateLeasePrincipal {
  if (principal?.kind !== 'update-lease')
    throw new Error('route declared auth "update-token" but has no lease')
  return principal
}
