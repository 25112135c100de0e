import type { ApiCapability } from '../apitype/user.js'
import { environmentRoutes } from '../esc/environment-routes.js'
import type { EnvironmentService } from '../esc/environment-service.js'
import type { IdentityService } from '../identity/identity-service.js'
import { userRoutes } from '../identity/user-routes.js'
import { secretsRoutes } from '../secrets/secrets-routes.js'
import type { SecretsService } from '../secrets/secrets-service.js'
import { stackRoutes } from '../stacks/stack-routes.js'
import type { StackService } from '../stacks/stack-service.js'
import { stateRoutes } from '../state/state-routes.js'
import type { StateService } from '../state/state-service.js'
import { historyRoutes } from '../updates/history-routes.js'
import type { UpdateLogStore } from '../updates/update-log-store.js'
import { updateRoutes } from '../updates/update-routes.js'
import type { UpdateService } from '../updates/update-service.js'
import type { UpdateStore } from '../updates/update-store.js'
import { healthRoutes } from './health-routes.js'
import type { HttpServer } from './http-server.js'

export interface RouteDeps {
  identity: IdentityService
  stacks: StackService
  state: StateService
  secrets: SecretsService
  environments: EnvironmentService
  updates: UpdateService
  updateStore: UpdateStore
  logs: UpdateLogStore
  historyPageSize: number
  capabilities: () => ApiCapability[]
  ping: () => Promise<void>
}

/** The whole API on one page, in the order of the CLI's own route table (client/api_endpoints.go). */
export function registerRoutes(app: HttpServer, deps: RouteDeps): void {
  healthRoutes(app, deps)
  userRoutes(app, deps)
  stackRoutes(app, { stacks: deps.stacks, updates: deps.updateStore })
  stateRoutes(app, deps)
  secretsRoutes(app, deps)
  updateRoutes(app, deps)
  historyRoutes(app, {
    stacks: deps.stacks,
    updates: deps.updateStore,
    defaultPageSize: deps.historyPageSize,
  })
  environmentRoutes(app, deps)
}
