import { Type } from 'typebox'
import { NotFoundError } from '../errors.js'
import type { HttpServer } from '../http/http-server.js'
import { userOf } from '../http/route-config.js'
import type { AccessTokenService } from './access-token-service.js'
import type { AccessToken } from './access-token-store.js'
import type { IdentityService } from './identity-service.js'

// Request shapes of Pulumi Cloud's REST API (CreatePersonalAccessTokenRequest, CreateOrgAccessTokenRequest).
const CreatePersonalTokenRequest = Type.Object({
  description: Type.String({ minLength: 1, maxLength: 1024 }),
  expires: Type.Optional(Type.Integer({ minimum: 0 })),
})
const CreateOrgTokenRequest = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64 }),
  description: Type.Optional(Type.String({ maxLength: 1024 })),
  expires: Type.Optional(Type.Integer({ minimum: 0 })),
  admin: Type.Optional(Type.Boolean()),
})
const TokenPath = Type.Object({ tokenId: Type.String() })
const OrgPath = Type.Object({ orgName: Type.String() })
const OrgTokenPath = Type.Object({ orgName: Type.String(), tokenId: Type.String() })
const UserPath = Type.Object({ userName: Type.String() })

/** Personal, organization and admin token routes (Pulumi Cloud's shapes; admin routes as the Go server's). */
export function tokenRoutes(
  app: HttpServer,
  deps: { tokens: AccessTokenService; identity: IdentityService },
): void {
  const { tokens } = deps
  const organization = (org: string) => {
    if (!deps.identity.isOrganization(org))
      throw new NotFoundError(`Not Found: organization '${org}' not found`)
    return org
  }

  app.route({
    method: 'GET',
    url: '/api/user/tokens',
    config: { operationId: 'ListPersonalTokens', auth: 'token' },
    handler: async (request) => ({
      tokens: (await tokens.listPersonal(userOf(request.principal))).map((t) => cloudShape(t, 'personal')),
    }),
  })

  app.route({
    method: 'POST',
    url: '/api/user/tokens',
    config: { operationId: 'CreatePersonalToken', auth: 'token' },
    schema: { body: CreatePersonalTokenRequest },
    handler: async (request) => {
      const minted = await tokens.createPersonal(userOf(request.principal), {
        description: request.body.description,
        expires: request.body.expires ?? 0,
      })
      return { id: minted.id, tokenValue: minted.token }
    },
  })

  app.route({
    method: 'DELETE',
    url: '/api/user/tokens/:tokenId',
    config: { operationId: 'DeletePersonalToken', auth: 'token' },
    schema: { params: TokenPath },
    handler: async (request) => {
      await tokens.deletePersonal(userOf(request.principal), request.params.tokenId)
      return {}
    },
  })

  app.route({
    method: 'GET',
    url: '/api/orgs/:orgName/tokens',
    config: { operationId: 'ListOrgTokens', auth: 'token' },
    schema: { params: OrgPath },
    handler: async (request) => {
      const org = organization(request.params.orgName)
      const list = await tokens.listOrganization(userOf(request.principal), org)
      return { tokens: list.map((t) => cloudShape(t, 'organization')) }
    },
  })

  app.route({
    method: 'POST',
    url: '/api/orgs/:orgName/tokens',
    config: { operationId: 'CreateOrgToken', auth: 'token' },
    schema: { params: OrgPath, body: CreateOrgTokenRequest },
    handler: async (request) => {
      const org = organization(request.params.orgName)
      const minted = await tokens.createOrganization(userOf(request.principal), org, {
        name: request.body.name,
        description: request.body.description ?? '',
        expires: request.body.expires ?? 0,
      })
      return { id: minted.id, tokenValue: minted.token }
    },
  })

  app.route({
    method: 'DELETE',
    url: '/api/orgs/:orgName/tokens/:tokenId',
    config: { operationId: 'DeleteOrgToken', auth: 'token' },
    schema: { params: OrgTokenPath },
    handler: async (request) => {
      const org = organization(request.params.orgName)
      await tokens.deleteOrganization(userOf(request.principal), org, request.params.tokenId)
      return {}
    },
  })

  app.route({
    method: 'GET',
    url: '/api/admin/tokens/:userName',
    config: { operationId: 'listUserTokens', auth: 'token' },
    schema: { params: UserPath },
    handler: async (request) => {
      const list = await tokens.listUserTokens(userOf(request.principal), request.params.userName)
      // The Go server's shape (AD2), but an empty list instead of null.
      return {
        tokens: list.map((t) => ({
          id: t.id,
          tokenHashPrefix: t.tokenHash.slice(0, 8),
          description: t.description || t.name,
          createdAt: new Date(t.createdAt).toISOString(),
          ...(t.lastUsedAt !== null ? { lastUsedAt: new Date(t.lastUsedAt).toISOString() } : {}),
          ...(t.expiresAt !== null ? { expiresAt: new Date(t.expiresAt).toISOString() } : {}),
          hasRefreshToken: false,
        })),
      }
    },
  })

  app.route({
    method: 'DELETE',
    url: '/api/admin/tokens/:userName',
    config: { operationId: 'revokeUserTokens', auth: 'token' },
    schema: { params: UserPath },
    handler: async (request) => ({
      revoked: await tokens.revokeUserTokens(userOf(request.principal), request.params.userName),
    }),
  })
}

/** Pulumi Cloud's AccessToken: times in Unix seconds (0 = never), `created` as ISO 8601. */
function cloudShape(token: AccessToken, type: 'personal' | 'organization') {
  return {
    id: token.id,
    name: token.name,
    description: token.description,
    created: new Date(token.createdAt).toISOString(),
    lastUsed: token.lastUsedAt === null ? 0 : Math.floor(token.lastUsedAt / 1000),
    expires: token.expiresAt === null ? 0 : Math.floor(token.expiresAt / 1000),
    admin: type === 'organization',
    createdBy: token.createdBy ?? '',
    type,
  }
}
