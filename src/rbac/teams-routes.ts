import { Type } from 'typebox'
import { NotFoundError } from '../errors.js'
import type { HttpServer } from '../http/http-server.js'
import { userOf } from '../http/route-config.js'
import type { RbacPolicy } from './rbac-config.js'
import type { StackTeamGrant } from './stack-team-store.js'
import { findTeam, listRoles, listTeams } from './teams-view.js'

const OrgPath = Type.Object({ orgName: Type.String() })

/** GET /api/orgs/{org}/teams, /teams/{team}, /roles: read-only views of the -rbac-config policy. */
export function teamsRoutes(
  app: HttpServer,
  deps: {
    policy: () => RbacPolicy | undefined
    /** The `--teams` grants on the organization's stacks. */
    teamGrants: (org: string) => Promise<StackTeamGrant[]>
  },
): void {
  const grantsFor = async (org: string) => (deps.policy() ? deps.teamGrants(org) : [])
  app.route({
    method: 'GET',
    url: '/api/orgs/:orgName/teams',
    config: { operationId: 'ListTeams', permission: 'org:read', auth: 'token' },
    schema: { params: OrgPath },
    handler: async (request) => {
      const grants = await grantsFor(request.params.orgName)
      return { teams: listTeams(deps.policy(), userOf(request.principal), grants) }
    },
  })

  app.route({
    method: 'GET',
    url: '/api/orgs/:orgName/teams/:teamName',
    config: { operationId: 'GetTeam', permission: 'org:read', auth: 'token' },
    schema: { params: Type.Object({ orgName: Type.String(), teamName: Type.String() }) },
    handler: async (request) => {
      const grants = await grantsFor(request.params.orgName)
      const team = findTeam(deps.policy(), userOf(request.principal), request.params.teamName, grants)
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
