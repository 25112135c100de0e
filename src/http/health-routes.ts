import type { HttpServer } from './http-server.js'

/** `probesElsewhere`: -management-addr serves /healthz and /readyz, so this listener does not (as the Go server). */
export function healthRoutes(
  app: HttpServer,
  deps: { ping: () => Promise<void>; probesElsewhere?: boolean | undefined },
): void {
  app.route({
    method: 'GET',
    url: '/',
    config: { operationId: 'getStatus', permission: 'public', auth: 'public' },
    // A browser (it asks for HTML; the CLI never does) goes to the web console; everything else gets the status.
    handler: async (request, reply) =>
      request.headers.accept?.includes('text/html') ? reply.redirect('/stacks', 303) : { status: 'ok' },
  })
  if (deps.probesElsewhere) return

  app.route({
    method: 'GET',
    url: '/healthz',
    config: { operationId: 'getHealth', permission: 'public', auth: 'public' },
    handler: async () => ({ status: 'ok' }),
  })

  app.route({
    method: 'GET',
    url: '/readyz',
    config: { operationId: 'getReadiness', permission: 'public', auth: 'public' },
    handler: async (request, reply) => {
      try {
        await deps.ping()
        return { status: 'ok' }
      } catch (error) {
        request.log.error({ err: error }, 'readiness check failed')
        return reply
          .code(503)
          .send({ code: 503, message: 'Service Unavailable: the database is not reachable' })
      }
    },
  })
}
