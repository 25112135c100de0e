import type { ApiCapability } from '../apitype/user.js'
import type { AuditQueryService } from '../audit/audit-query.js'
import { auditRoutes } from '../audit/audit-routes.js'
import { backupRoutes } from '../backups/backup-routes.js'
import type { BackupService } from '../backups/backup-service.js'
import { environmentRoutes } from '../esc/environment-routes.js'
import type { EnvironmentService } from '../esc/environment-service.js'
import type { AccessTokenService } from '../identity/access-token-service.js'
import type { GroupsCache } from '../identity/google-workspace.js'
import { groupsRoutes } from '../identity/groups-routes.js'
import type { IdentityService } from '../identity/identity-service.js'
import { loginRoutes } from '../identity/login-routes.js'
import { oauthTokenRoutes } from '../identity/oauth-token-routes.js'
import type { OidcLogin } from '../identity/oidc-login.js'
import type { TokenExchangeService } from '../identity/token-exchange.js'
import { tokenRoutes } from '../identity/token-routes.js'
import { userRoutes } from '../identity/user-routes.js'
import { orgRoutes } from '../orgs/org-routes.js'
import type { OrgService } from '../orgs/org-service.js'
import type { AccessControl } from '../rbac/access-control.js'
import type { RbacPolicy } from '../rbac/rbac-config.js'
import type { StackTeamGrant } from '../rbac/stack-team-store.js'
import { teamsRoutes } from '../rbac/teams-routes.js'
import { orgTemplateRoutes, registryRoutes } from '../registry/registry-routes.js'
import type { RegistryService } from '../registry/registry-service.js'
import { searchRoutes } from '../search/search-routes.js'
import type { SearchService } from '../search/search-service.js'
import { secretsRoutes } from '../secrets/secrets-routes.js'
import type { SecretsService } from '../secrets/secrets-service.js'
import { stackRoutes } from '../stacks/stack-routes.js'
import type { StackService } from '../stacks/stack-service.js'
import { resourceRoutes } from '../state/resource-routes.js'
import { stateRoutes } from '../state/state-routes.js'
import type { StateService } from '../state/state-service.js'
import { historyRoutes } from '../updates/history-routes.js'
import type { UpdateLogStore } from '../updates/update-log-store.js'
import { updateRoutes } from '../updates/update-routes.js'
import type { UpdateService } from '../updates/update-service.js'
import type { UpdateStore } from '../updates/update-store.js'
import { webhookRoutes } from '../webhooks/webhook-routes.js'
import type { WebhookService } from '../webhooks/webhook-service.js'
import { healthRoutes } from './health-routes.js'
import type { HttpServer } from './http-server.js'
import { unprovidedFeatureRoutes } from './unprovided-features.js'

export interface RouteDeps {
  identity: IdentityService
  tokens: AccessTokenService
  /** Google Workspace groups (google mode with a service account). */
  groupsCache: GroupsCache | undefined
  /** POST /api/oauth/token (when -token-exchange-policies is set). */
  exchange: TokenExchangeService | undefined
  /** Browser/CLI login and ID-token exchange (oidc and google modes). */
  login: { login: OidcLogin; providerName: string; publicUrl: string; loginEnabled: boolean } | undefined
  stacks: StackService
  state: StateService
  secrets: SecretsService
  environments: EnvironmentService
  updates: UpdateService
  updateStore: UpdateStore
  logs: UpdateLogStore
  orgs: OrgService
  registry: RegistryService
  webhooks: WebhookService
  search: SearchService
  historyPageSize: number
  /** Access decisions (listing filters). */
  access: AccessControl
  /** The current -rbac-config policy (teams and roles views). */
  policy: () => RbacPolicy | undefined
  /** The `pulumi stack init --teams` grants on an organization's stacks (teams views). */
  teamGrants: (org: string) => Promise<StackTeamGrant[]>
  /** The stored audit log (absent with -audit-logs=false). */
  auditQuery: AuditQueryService | undefined
  capabilities: () => ApiCapability[]
  ping: () => Promise<void>
  backups: BackupService
  /** -management-addr is set: the health probes are served there instead. */
  probesElsewhere?: boolean
}

/** The whole API on one page, in the order of the CLI's own route table (client/api_endpoints.go). */
export function registerRoutes(app: HttpServer, deps: RouteDeps): void {
  healthRoutes(app, deps)
  userRoutes(app, deps)
  tokenRoutes(app, deps)
  if (deps.login) loginRoutes(app, deps.login)
  if (deps.exchange) oauthTokenRoutes(app, { exchange: deps.exchange })
  if (deps.groupsCache) groupsRoutes(app, { groupsCache: deps.groupsCache })
  stackRoutes(app, {
    stacks: deps.stacks,
    updates: deps.updateStore,
    releaseLapsedLock: (stack) => deps.updates.releaseLapsedLock(stack),
    readable: (principal, stacks) => deps.access.readable(principal, stacks),
    teamGrant: (principal, teams) => {
      const decision = deps.access.teamGrant(principal, teams)
      return decision.allow ? undefined : decision.reason
    },
  })
  stateRoutes(app, deps)
  resourceRoutes(app, deps)
  secretsRoutes(app, deps)
  updateRoutes(app, deps)
  historyRoutes(app, {
    stacks: deps.stacks,
    updates: deps.updateStore,
    lifecycle: deps.updates,
    logs: deps.logs,
    defaultPageSize: deps.historyPageSize,
  })
  backupRoutes(app, deps)
  orgRoutes(app, deps)
  teamsRoutes(app, deps)
  if (deps.auditQuery) auditRoutes(app, { auditQuery: deps.auditQuery })
  registryRoutes(app, deps)
  orgTemplateRoutes(app, deps)
  environmentRoutes(app, deps)
  webhookRoutes(app, deps)
  searchRoutes(app, deps)
  // Last, and only as wildcards: any real route above is more specific and wins.
  unprovidedFeatureRoutes(app)
}
