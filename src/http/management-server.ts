import type { Logger } from 'pino'
import type { Authenticator } from '../identity/authenticator.js'
import type { Metrics } from '../observability/metrics.js'
import { metricsRoutes } from '../observability/metrics-routes.js'
import { profilingRoutes } from '../observability/profiling-routes.js'
import { bodyLimits } from './body-limits.js'
import { healthRoutes } from './health-routes.js'
import { buildHttpServer, type HttpServer } from './http-server.js'

// Probes, scrapes and profile downloads are small requests.
const MANAGEMENT_BODY_LIMIT = 64 * 1024

/**
 * The -management-addr listener (the Go server's startup_servers.go): health probes, /metrics and, with -pprof,
 * profiling, all unauthenticated and plain HTTP, for an address only the platform reaches.
 */
export function buildManagementServer(deps: {
  logger: Logger
  authenticator: Authenticator
  ping: () => Promise<void>
  metrics: Metrics
  pprof: boolean
}): HttpServer {
  const app = buildHttpServer({
    logger: deps.logger.child({ listener: 'management' }),
    authenticator: deps.authenticator,
    trustedProxies: [],
    leases: undefined,
    // Every body falls under the same small limit here.
    bodyLimits: bodyLimits({
      state: MANAGEMENT_BODY_LIMIT,
      journal: MANAGEMENT_BODY_LIMIT,
      events: MANAGEMENT_BODY_LIMIT,
      secrets: MANAGEMENT_BODY_LIMIT,
      json: MANAGEMENT_BODY_LIMIT,
    }),
    https: undefined,
    auditLogs: false,
    metrics: undefined,
  })
  healthRoutes(app, { ping: deps.ping })
  metricsRoutes(app, deps.metrics)
  if (deps.pprof) profilingRoutes(app)
  return app
}
