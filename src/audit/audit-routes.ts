import { type Static, Type } from 'typebox'
import type { ResponseAuditLogs } from '../apitype/audit.js'
import { InvalidError } from '../errors.js'
import type { HttpServer } from '../http/http-server.js'
import { AUDIT_EXPORT_LIMIT, type AuditListParams, type AuditQueryService, toCsv } from './audit-query.js'

const Query = Type.Object({
  continuationToken: Type.Optional(Type.String({ maxLength: 200 })),
  // Unix seconds (query strings are not coerced to numbers).
  startTime: Type.Optional(Type.String({ pattern: '^[0-9]{1,12}$' })),
  endTime: Type.Optional(Type.String({ pattern: '^[0-9]{1,12}$' })),
  userFilter: Type.Optional(Type.String({ maxLength: 256 })),
  eventFilter: Type.Optional(Type.String({ maxLength: 256 })),
  format: Type.Optional(Type.String({ maxLength: 16 })),
})
function listParams(org: string, query: Omit<Static<typeof Query>, 'format'>): AuditListParams {
  return {
    org,
    continuationToken: query.continuationToken,
    startTime: query.startTime === undefined ? undefined : Number(query.startTime),
    endTime: query.endTime === undefined ? undefined : Number(query.endTime),
    userFilter: query.userFilter,
    eventFilter: query.eventFilter,
  }
}

const OrgPath = Type.Object({ orgName: Type.String() })

/** GET /api/orgs/{org}/auditlogs (JSON pages) and /auditlogs/export (CSV), organization admins only. */
export function auditRoutes(app: HttpServer, deps: { auditQuery: AuditQueryService }): void {
  app.route({
    method: 'GET',
    url: '/api/orgs/:orgName/auditlogs',
    config: { operationId: 'ListAuditLogEvents', permission: 'org:admin', auth: 'token' },
    schema: { params: OrgPath, querystring: Query },
    handler: async (request): Promise<ResponseAuditLogs> => {
      const { format: _ignored, ...filters } = request.query
      const { events: _rows, ...page } = await deps.auditQuery.list(
        listParams(request.params.orgName, filters),
      )
      return page
    },
  })

  app.route({
    method: 'GET',
    url: '/api/orgs/:orgName/auditlogs/export',
    config: { operationId: 'ExportAuditLogEvents', permission: 'org:admin', auth: 'token' },
    schema: { params: OrgPath, querystring: Query },
    handler: async (request, reply) => {
      const { format, ...filters } = request.query
      if (format !== undefined && format !== 'csv') {
        throw new InvalidError(`Bad Request: format '${format}' is not supported; use csv`)
      }
      const page = await deps.auditQuery.list(listParams(request.params.orgName, filters), AUDIT_EXPORT_LIMIT)
      if (page.continuationToken) void reply.header('x-continuation-token', page.continuationToken)
      void reply.header('content-type', 'text/csv; charset=utf-8')
      return toCsv(page.events)
    },
  })
}
