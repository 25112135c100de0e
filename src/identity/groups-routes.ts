import { Type } from 'typebox'
import { ForbiddenError } from '../errors.js'
import type { HttpServer } from '../http/http-server.js'
import { userOf } from '../http/route-config.js'
import type { GroupsCache } from './google-workspace.js'

const InvalidateRequest = Type.Union([Type.Object({ userName: Type.Optional(Type.String()) }), Type.Null()])

/** POST /api/admin/groups-cache/invalidate (Go server AD4): forget one user's cached groups, or everyone's. */
export function groupsRoutes(app: HttpServer, deps: { groupsCache: GroupsCache }): void {
  app.route({
    method: 'POST',
    url: '/api/admin/groups-cache/invalidate',
    config: { operationId: 'invalidateGroupsCache', auth: 'token' },
    schema: { body: Type.Optional(InvalidateRequest) },
    handler: async (request) => {
      if (!userOf(request.principal).admin)
        throw new ForbiddenError('Forbidden: this operation requires admin rights')
      deps.groupsCache.invalidate(request.body?.userName)
      return {}
    },
  })
}
