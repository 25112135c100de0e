import { Type } from 'typebox'
import { NotFoundError } from '../errors.js'
import type { HttpServer } from '../http/http-server.js'
import { userOf } from '../http/route-config.js'
import type { RbacPolicy } from './rbac-config.js'
import { findTeam, listRoles, listTeams } from './teams-view.js'

const OrgPath = Type.Object({ orgName: Type.String() })

/** GET /api/orgs/{org}/teams, /teams/{team}, /roles: read-only views of the -rbac-config policy. */
export function teamsRoutes(app: HttpServer, deps: { policy: () => RbacPolicy | undefined }): void {
  app.route({
    method: 'GET',
    url: '/api/orgs/:orgName/teams',
    config: { operationId: 'ListTeams', permission: 'org:read', auth: 'token' },
    schema: { params: OrgPath },
    handler: async (request) => ({ teams: listTeams(deps.policy(), userOf(request.principal)) }),
  })

  app.route({
    method: 'GET',
    url: '/api/orgs/:orgName/teams/:teamName',
    config: { operationId: 'GetTeam', permission: 'org:read', auth: 'token' },
    schema: { params: Type.Object({ orgName: Type.String(), teamName: Type.String() }) },
    handler: async (request) => {
      const team = findTeam(deps.policy(), userOf(request.principal), request.params.teamName)
      // Teams the caller may not see answer like teams that do not exist.
      if (!team) throw new NotFoundError(`Not Found: team '${request.params.teamName}' not found`)
      return team
    },
  })

  app.route({
    method: 'GET',
    url: '/api/orgs/:orgName/roles',
    config: { operationId: 'ListRoles', permission: 'org:read', auth: 'token' },
    schema: { params: OrgPath, querystring: Type.Object({ uxPurpose: Type.Optional(Type.String()) }) },
    handler: async () => ({ roles: listRoles(deps.policy()) }),
  })
}
