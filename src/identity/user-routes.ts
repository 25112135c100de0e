import type { ApiCapability, GetDefaultOrganizationResponse, ServiceUser } from '../apitype/user.js'
import type { HttpServer } from '../http/http-server.js'
import { userOf } from '../http/route-config.js'
import type { IdentityService } from './identity-service.js'

export function userRoutes(
  app: HttpServer,
  deps: { identity: IdentityService; capabilities: () => ApiCapability[] },
): void {
  const { identity } = deps

  app.route({
    method: 'GET',
    url: '/api/user',
    config: { operationId: 'getCurrentUser', auth: 'token' },
    handler: async (request): Promise<ServiceUser> => {
      const user = userOf(request.principal)
      // githubLogin and every organization login must be non-empty (client.go :: GetPulumiAccountDetails).
      return {
        id: user.login,
        githubLogin: user.login,
        email: '',
        avatarUrl: '',
        name: user.displayName,
        organizations: identity.organizations.map((org) => ({ githubLogin: org, name: org, avatarUrl: '' })),
        identities: [],
        siteAdmin: user.admin,
        // workspace.TokenInformation: whoami -v shows the token name and, for organization tokens, the org.
        ...(user.tokenName
          ? {
              tokenInfo: {
                name: user.tokenName,
                ...(user.organization ? { organization: user.organization } : {}),
              },
            }
          : {}),
      }
    },
  })

  app.route({
    method: 'GET',
    url: '/api/user/organizations/default',
    config: { operationId: 'getDefaultOrg', auth: 'token' },
    handler: async (): Promise<GetDefaultOrganizationResponse> => ({
      GitHubLogin: identity.defaultOrganization,
      Messages: [],
    }),
  })

  app.route({
    method: 'GET',
    url: '/api/capabilities',
    config: { operationId: 'getCapabilities', auth: 'token' },
    handler: async () => ({ capabilities: deps.capabilities() }),
  })
}
