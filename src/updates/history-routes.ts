import { Type } from 'typebox'
import { StackPath } from '../apitype/stacks.js'
import { HistoryQuery, type UpdateInfo } from '../apitype/updates.js'
import { InvalidError, NotFoundError } from '../errors.js'
import type { HttpServer } from '../http/http-server.js'
import { parseDecimalInteger } from '../lib/decimal.js'
import { stackRef } from '../stacks/stack-routes.js'
import type { StackService } from '../stacks/stack-service.js'
import { historyResult, type Update } from './update.js'
import type { UpdateStore } from './update-store.js'

const STACK = '/api/stacks/:orgName/:projectName/:stackName'

export function historyRoutes(
  app: HttpServer,
  deps: { stacks: StackService; updates: UpdateStore; defaultPageSize: number },
): void {
  const { stacks, updates } = deps

  app.route({
    method: 'GET',
    url: `${STACK}/updates`,
    config: { operationId: 'getStackUpdates', auth: 'token' },
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
    config: { operationId: 'getLatestStackUpdate', auth: 'token' },
    schema: { params: StackPath },
    handler: async (request) => {
      const stack = await stacks.get(stackRef(request.params))
      const [latest] = await updates.history(stack.id, 1, 1)
      if (!latest) throw new NotFoundError(`Not Found: stack '${request.params.stackName}' has no updates`)
      return withInfo(toUpdateInfo(latest))
    },
  })

  app.route({
    method: 'GET',
    url: `${STACK}/updates/:version`,
    config: { operationId: 'getStackUpdate', auth: 'token' },
    schema: { params: Type.Object({ ...StackPath.properties, version: Type.String() }) },
    handler: async (request) => {
      const version = parseDecimalInteger(request.params.version, 1)
      if (version === undefined) {
        throw new InvalidError(
          `Bad Request: invalid update version '${request.params.version}'; versions are positive integers`,
        )
      }
      const stack = await stacks.get(stackRef(request.params))
      const update = await updates.byVersion(stack.id, version)
      if (!update)
        throw new NotFoundError(`Not Found: stack '${request.params.stackName}' has no version ${version}`)
      return withInfo(toUpdateInfo(update))
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
