import { Type } from 'typebox'
import type { ListOrganizationMembersResponse } from '../apitype/organizations.js'
import { InvalidError } from '../errors.js'
import type { HttpServer } from '../http/http-server.js'
import { userOf } from '../http/route-config.js'
import { type OrgService, parseMemberListKind } from './org-service.js'

export function orgRoutes(app: HttpServer, deps: { orgs: OrgService }): void {
  app.route({
    method: 'GET',
    url: '/api/orgs/:orgName/members',
    // client.go :: ListOrganizationMembers (`pulumi org member list`, and `member get` through findOrganizationMember).
    config: { operationId: 'listOrganizationMembers', permission: 'org:read', auth: 'token' },
    schema: {
      params: Type.Object({ orgName: Type.String() }),
      querystring: Type.Object({
        type: Type.Optional(Type.String()),
        continuationToken: Type.Optional(Type.String()),
      }),
    },
    handler: async (request): Promise<ListOrganizationMembersResponse> => {
      parseMemberListKind(request.query.type)
      // Every member fits on the first page, so this server never hands out a token to come back with.
      if (request.query.continuationToken !== undefined) {
        throw new InvalidError('Bad Request: invalid continuationToken')
      }
      return { members: await deps.orgs.members(request.params.orgName, userOf(request.principal)) }
    },
  })
}
