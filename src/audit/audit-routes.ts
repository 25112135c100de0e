import { Type } from 'typebox'
import type { ResponseAuditLogs } from '../apitype/audit.js'
import { InvalidError } from '../errors.js'
import type { HttpServer } from '../http/http-server.js'
import { AUDIT_EXPORT_LIMIT, type AuditQueryService, toCsv } from './audit-query.js'

const Query = Type.Object({
  continuationToken: Type.Optional(Type.String({ maxLength: 200 })),
  startTime: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 40 })),
  endTime: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 40 })),
  userFilter: Type.Optional(Type.String({ maxLength: 256 })),
  eventFilter: Type.Optional(Type.String({ maxLength: 256 })),
  format: Type.Optional(Type.String({ maxLength: 16 })),
})
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
      const { events: _rows, ...page } = await deps.auditQuery.list({
        org: request.params.orgName,
        ...filters,
      })
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
      const page = await deps.auditQuery.list({ org: request.params.orgName, ...filters }, AUDIT_EXPORT_LIMIT)
      if (page.continuationToken) void reply.header('x-continuation-token', page.continuationToken)
      void reply.header('content-type', 'text/csv; charset=utf-8')
      return toCsv(page.events)
    },
  })
}
