import { Type } from 'typebox'
import { ConflictError, InvalidError } from '../errors.js'
import type { HttpServer } from '../http/http-server.js'
import { Profiler } from './profiler.js'

const MAX_PROFILE_SECONDS = 300

/**
 * Profiling on the management listener only (-pprof), at the Go server's paths, in V8's formats. No
 * authentication, like the rest of that listener: bind it to an address only operators reach.
 */
export function profilingRoutes(app: HttpServer): void {
  const profiler = new Profiler()
  // A profile in progress must not hold up shutdown for its remaining seconds.
  const closing = new AbortController()
  app.addHook('preClose', async () => closing.abort())

  app.route({
    method: 'GET',
    url: '/debug/pprof/profile',
    config: { operationId: 'getCpuProfile', permission: 'public', auth: 'public' },
    schema: {
      querystring: Type.Object({ seconds: Type.Optional(Type.String({ pattern: '^[0-9]+$' })) }),
    },
    handler: async (request, reply) => {
      const seconds = Number(request.query.seconds ?? 30)
      if (seconds < 1 || seconds > MAX_PROFILE_SECONDS) {
        throw new InvalidError(`Bad Request: seconds must be between 1 and ${MAX_PROFILE_SECONDS}`)
      }
      if (profiler.busy)
        throw new ConflictError('Conflict: a CPU profile is already being taken; retry later')
      const profile = await profiler.cpuProfile(seconds, closing.signal)
      return reply
        .type('application/json')
        .header('content-disposition', `attachment; filename="pulumi-backend-${process.pid}.cpuprofile"`)
        .send(profile)
    },
  })

  app.route({
    method: 'GET',
    url: '/debug/pprof/heap',
    config: { operationId: 'getHeapSnapshot', permission: 'public', auth: 'public' },
    handler: async (_request, reply) =>
      reply
        .type('application/json')
        .header('content-disposition', `attachment; filename="pulumi-backend-${process.pid}.heapsnapshot"`)
        .send(profiler.heapSnapshot()),
  })
}
