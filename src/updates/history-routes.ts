import { Type } from 'typebox'
import { StackPath } from '../apitype/stacks.js'
import { EventsQuery, HistoryQuery, type UpdateInfo, type UpdateSummary } from '../apitype/updates.js'
import { InvalidError, NotFoundError } from '../errors.js'
import type { HttpServer } from '../http/http-server.js'
import { parseDecimalInteger } from '../lib/decimal.js'
import { stackRef } from '../stacks/stack-routes.js'
import type { StackService } from '../stacks/stack-service.js'
import { parseEngineEventFilter } from './engine-event-filter.js'
import { EngineEventReader } from './engine-event-reader.js'
import { historyResult, type Update } from './update.js'
import type { UpdateLogStore } from './update-log-store.js'
import { UPDATE, UpdatePath } from './update-routes.js'
import type { UpdateService } from './update-service.js'
import type { UpdateStore } from './update-store.js'

const STACK = '/api/stacks/:orgName/:projectName/:stackName'
const EVENTS_PAGE = 1000
// A filtered events request looks at this many stored events at most before answering (with a token to go on).
const EVENTS_MAX_SCANNED = 20_000

export function historyRoutes(
  app: HttpServer,
  deps: {
    stacks: StackService
    updates: UpdateStore
    lifecycle: UpdateService
    logs: UpdateLogStore
    defaultPageSize: number
  },
): void {
  const { stacks, updates } = deps
  const events = new EngineEventReader({
    logs: deps.logs,
    pageSize: EVENTS_PAGE,
    maxScanned: EVENTS_MAX_SCANNED,
  })

  app.route({
    method: 'GET',
    url: `${STACK}/updates`,
    config: { operationId: 'getStackUpdates', permission: 'stack:read', auth: 'token' },
    schema: { params: StackPath, querystring: HistoryQuery },
    handler: async (request) => {
      const stack = await stacks.get(stackRef(request.params))
      // The CLI sends pageSize=10&page=1 by default; pages are 1-based (client.go :: GetStackUpdates).
      // pageSize=0 means the default, as before; anything not a non-negative safe integer is refused.
      const pageSize = queryNumber(request.query.pageSize, 'pageSize', 0) || deps.defaultPageSize
      const page = queryNumber(request.query.page, 'page', 1) ?? 1
      const rows = await updates.history(stack.id, page, Math.min(pageSize, 1000))
      return { updates: rows.map(toUpdateInfo) }
    },
  })

  app.route({
    method: 'GET',
    url: `${STACK}/updates/latest`,
    config: { operationId: 'getLatestStackUpdate', permission: 'stack:read', auth: 'token' },
    schema: { params: StackPath },
    handler: async (request) => {
      const stack = await stacks.get(stackRef(request.params))
      const [latest] = await updates.history(stack.id, 1, 1)
      if (!latest) throw new NotFoundError(`Not Found: stack '${request.params.stackName}' has no updates`)
      return withInfo(toUpdateInfo(latest))
    },
  })

  const VersionPath = Type.Object({ ...StackPath.properties, version: Type.String() })
  const updateAt = async (params: {
    orgName: string
    projectName: string
    stackName: string
    version: string
  }) => {
    const version = parseDecimalInteger(params.version, 1)
    if (version === undefined) {
      throw new InvalidError(
        `Bad Request: invalid update version '${params.version}'; versions are positive integers`,
      )
    }
    const stack = await stacks.get(stackRef(params))
    const update = await updates.byVersion(stack.id, version)
    if (!update) throw new NotFoundError(`Not Found: stack '${params.stackName}' has no version ${version}`)
    return update
  }

  app.route({
    method: 'GET',
    url: `${STACK}/updates/:version`,
    config: { operationId: 'getStackUpdate', permission: 'stack:read', auth: 'token' },
    schema: { params: VersionPath },
    handler: async (request) => withInfo(toUpdateInfo(await updateAt(request.params))),
  })

  app.route({
    method: 'GET',
    url: `${STACK}/updates/:version/summary`,
    config: { operationId: 'getStackUpdateSummary', permission: 'stack:read', auth: 'token' },
    schema: { params: VersionPath },
    handler: async (request) => toUpdateSummary(await updateAt(request.params)),
  })

  app.route({
    method: 'GET',
    url: `${UPDATE}/events`,
    // client.go :: GetUpdateEngineEvents (`pulumi stack history events [--event-type N] [--urn U]`).
    config: { operationId: 'getUpdateEvents', permission: 'stack:read', auth: 'token' },
    schema: { params: UpdatePath, querystring: EventsQuery },
    handler: async (request, reply) => {
      const filter = parseEngineEventFilter(request.query)
      const update = await deps.lifecycle.get(stackRef(request.params), request.params.updateId)
      const token = request.query.continuationToken
      const after = token === undefined || token === '' ? -1 : Number(token)
      if (!/^(-1|[0-9]+)?$/.test(token ?? '') || !Number.isSafeInteger(after)) {
        throw new InvalidError('Bad Request: invalid continuationToken')
      }
      const page = await events.page(update.id, after, filter)
      const finished = update.status !== 'running' && update.status !== 'not started'
      // null once the update is over and every event was looked at: readers stop on null.
      const continuationToken = page.exhausted && finished ? null : String(page.lastSequence)
      // Stored events are JSON texts already: splice them instead of parsing and re-serialising.
      return reply
        .type('application/json')
        .send(
          `{"events":[${page.events.join(',')}],"continuationToken":${JSON.stringify(continuationToken)}}`,
        )
    },
  })
}

/**
 * The CLI reads `{"info": UpdateInfo}` (client.go :: GetLatestConfiguration) while the service's OpenAPI describes
 * a bare UpdateInfo; answering both shapes at once satisfies either reader.
 */
function withInfo(info: UpdateInfo) {
  return { ...info, info }
}

export function toUpdateInfo(update: Update): UpdateInfo {
  const result = historyResult(update.status)
  const info: UpdateInfo = {
    kind: update.kind,
    startTime: Math.floor((update.startedAt ?? update.createdAt) / 1000),
    message: update.message,
    environment: update.environment,
    config: historyConfig(update.config),
    result,
    version: update.version,
    requestedBy: { name: update.requestedBy, githubLogin: update.requestedBy },
  }
  if (result !== 'in-progress') {
    info.endTime = Math.floor((update.endedAt ?? update.startedAt ?? update.createdAt) / 1000)
    info.resourceChanges = update.resourceChanges ?? {}
    if (update.resourceCount !== null) info.resourceCount = update.resourceCount
  }
  return info
}

/** apitype.UpdateSummary: an unfinished update has no end time or count yet, which the Cloud answers as 0. */
export function toUpdateSummary(update: Update): UpdateSummary {
  const result = historyResult(update.status)
  const finished = result !== 'in-progress' && result !== 'not-started'
  return {
    result,
    startTime: Math.floor((update.startedAt ?? update.createdAt) / 1000),
    endTime: finished ? Math.floor((update.endedAt ?? update.startedAt ?? update.createdAt) / 1000) : 0,
    resourceCount: finished ? (update.resourceCount ?? 0) : 0,
  }
}

// The whole history call fails if one key does not parse as a config key (backend.go :: convertConfig).
function historyConfig(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).filter(([key]) => /^[^:]+:.+$/.test(key)))
}

function queryNumber(raw: string | undefined, name: string, min: number): number | undefined {
  if (raw === undefined) return undefined
  const value = parseDecimalInteger(raw, min)
  if (value === undefined) {
    throw new InvalidError(
      `Bad Request: ${name} must be an integer of at least ${min}, got '${raw.slice(0, 40)}'`,
    )
  }
  return value
}
