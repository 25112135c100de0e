import { type Static, Type } from 'typebox'
import type { ResponseAuditLogs } from '../apitype/audit.js'
import { InvalidError } from '../errors.js'
import type { HttpServer } from '../http/http-server.js'
import { AUDIT_EXPORT_LIMIT, type AuditListParams, type AuditQueryService, toCsv } from './audit-query.js'

const Seconds = Type.String({ pattern: '^[0-9]{1,12}$' })
const Filter = Type.String({ maxLength: 256 })
const Query = Type.Object({
  continuationToken: Type.Optional(Type.String({ maxLength: 200 })),
  // Unix seconds (query strings are not coerced to numbers).
  startTime: Type.Optional(Seconds),
  endTime: Type.Optional(Seconds),
  // Pulumi Cloud's spec names the filters userFilter/eventFilter, as the CLI v3.276.0 sends them (to /v2); the
  // first `pulumi org audit-log list|export` sent user/eventType to V1 (httpstate/client/client.go ::
  // ListAuditLogs, ExportAuditLogs at 3.260), so both are read.
  userFilter: Type.Optional(Filter),
  eventFilter: Type.Optional(Filter),
  user: Type.Optional(Filter),
  eventType: Type.Optional(Filter),
  format: Type.Optional(Type.String({ maxLength: 16 })),
})
type AuditQuery = Omit<Static<typeof Query>, 'format'>

/**
 * V1 (`/auditlogs`): startTime is the UPPER bound ("entries older than this timestamp", Pulumi's spec; the CLI's
 * `--start-time` says "V1 semantics"), inclusive of that second; endTime is an exclusive upper bound too.
 * V2 (`/auditlogs/v2`): startTime is the inclusive lower bound, endTime the exclusive upper bound.
 */
function listParams(org: string, query: AuditQuery, version: 1 | 2): AuditListParams {
  const start = query.startTime === undefined ? undefined : Number(query.startTime)
  const end = query.endTime === undefined ? undefined : Number(query.endTime)
  const bounds =
    version === 2
      ? { startTime: start, endTime: end }
      : { startTime: undefined, endTime: minDefined(start === undefined ? undefined : start + 1, end) }
  return {
    org,
    continuationToken: query.continuationToken,
    ...bounds,
    userFilter: pick('userFilter', query.userFilter, 'user', query.user),
    eventFilter: pick('eventFilter', query.eventFilter, 'eventType', query.eventType),
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b
  return b === undefined ? a : Math.min(a, b)
}

/** One filter under two names: either, or both if they agree. */
function pick(name: string, value: string | undefined, alias: string, aliasValue: string | undefined) {
  if (value && aliasValue && value !== aliasValue) {
    throw new InvalidError(`Bad Request: ${name} and ${alias} differ; send one of them`)
  }
  return value || aliasValue || undefined
}

const OrgPath = Type.Object({ orgName: Type.String() })
const VERSIONS = [
  {
    version: 1,
    prefix: '/api/orgs/:orgName/auditlogs',
    list: 'ListAuditLogEvents',
    csv: 'ExportAuditLogEvents',
  },
  {
    version: 2,
    prefix: '/api/orgs/:orgName/auditlogs/v2',
    list: 'ListAuditLogEventsV2',
    csv: 'ExportAuditLogEventsV2',
  },
] as const

/** GET /api/orgs/{org}/auditlogs[/v2] (JSON pages) and …/export (CSV), organization admins only. */
export function auditRoutes(app: HttpServer, deps: { auditQuery: AuditQueryService }): void {
  for (const { version, prefix, list, csv } of VERSIONS) {
    app.route({
      method: 'GET',
      url: prefix,
      config: { operationId: list, permission: 'org:admin', auth: 'token' },
      schema: { params: OrgPath, querystring: Query },
      handler: async (request): Promise<ResponseAuditLogs> => {
        const { format: _ignored, ...filters } = request.query
        const { events: _rows, ...page } = await deps.auditQuery.list(
          listParams(request.params.orgName, filters, version),
        )
        return page
      },
    })

    app.route({
      method: 'GET',
      url: `${prefix}/export`,
      config: { operationId: csv, permission: 'org:admin', auth: 'token' },
      schema: { params: OrgPath, querystring: Query },
      handler: async (request, reply) => {
        const { format, ...filters } = request.query
        if (format !== undefined && format !== 'csv') {
          throw new InvalidError(`Bad Request: format '${format}' is not supported; use csv`)
        }
        const page = await deps.auditQuery.list(
          listParams(request.params.orgName, filters, version),
          AUDIT_EXPORT_LIMIT,
        )
        if (page.continuationToken) void reply.header('x-continuation-token', page.continuationToken)
        void reply.header('content-type', 'text/csv; charset=utf-8')
        return toCsv(page.events)
      },
    })
  }
}
