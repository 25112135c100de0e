import type { HttpServer } from '../http/http-server.js'
import type { Metrics } from './metrics.js'

/** GET /metrics: the Prometheus text exposition, unauthenticated as in the Go server (put it behind -management-addr). */
export function metricsRoutes(app: HttpServer, metrics: Metrics): void {
  app.route({
    method: 'GET',
    url: '/metrics',
    config: { operationId: 'getMetrics', permission: 'public', auth: 'public' },
    handler: async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()),
  })
}
