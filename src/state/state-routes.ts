import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import { StackPath } from '../apitype/stacks.js'
import { acceptsGzip, type HttpServer } from '../http/http-server.js'
import { userOf } from '../http/route-config.js'
import { stackRef } from '../stacks/stack-routes.js'
import type { StackService } from '../stacks/stack-service.js'
import type { UpdateService } from '../updates/update-service.js'
import type { StateService } from './state-service.js'
import { requirePositiveVersion } from './state-service.js'

const STACK = '/api/stacks/:orgName/:projectName/:stackName'

export function stateRoutes(
  app: HttpServer,
  deps: {
    stacks: StackService
    state: StateService
    updates: Pick<UpdateService, 'liveState' | 'releaseLapsedLock'>
  },
): void {
  const { stacks, state } = deps

  app.route({
    method: 'GET',
    url: `${STACK}/export`,
    config: { operationId: 'exportStack', permission: 'stack:read', auth: 'token', compressResponse: false },
    schema: { params: StackPath },
    handler: async (request, reply) => {
      const stack = await stacks.get(stackRef(request.params))
      // While an update runs, its latest acknowledged state (as Pulumi Cloud and the Go server export).
      const live = await deps.updates.liveState(stack)
      if (live) return sendDeployment(reply, { bytes: live, gzipped: false })
      return sendDeployment(reply, await state.exportDeployment(stack, undefined, acceptsGzip(request)))
    },
  })

  app.route({
    method: 'GET',
    url: `${STACK}/export/:version`,
    config: {
      operationId: 'exportStackVersion',
      permission: 'stack:read',
      auth: 'token',
      compressResponse: false,
    },
    schema: { params: Type.Object({ ...StackPath.properties, version: Type.String() }) },
    handler: async (request, reply) => {
      const version = requirePositiveVersion(request.params.version)
      const stack = await stacks.get(stackRef(request.params))
      return sendDeployment(reply, await state.exportDeployment(stack, version, acceptsGzip(request)))
    },
  })

  app.route({
    method: 'POST',
    url: `${STACK}/import`,
    // Raw bytes: the deployment is stored exactly as sent (after validation), never re-serialised.
    config: {
      operationId: 'importStack',
      permission: 'stack:write',
      auth: 'token',
      rawBody: true,
      body: 'state',
    },
    schema: { params: StackPath },
    handler: async (request) => {
      // A lock whose lease lapsed does not refuse the import (as it does not refuse `pulumi up`).
      const stack = await deps.updates.releaseLapsedLock(await stacks.get(stackRef(request.params)))
      const updateId = await state.importDeployment(
        stack,
        request.body as Buffer,
        userOf(request.principal).login,
      )
      // apitype.ImportStackResponse: note the lower-case "d", unlike create-update's updateID.
      return { updateId }
    },
  })
}

/**
 * Sends the stored bytes as they are: gzip to clients that accept it, or plain JSON (large states are plain for a
 * moment after they are written). Never compressed here: that would stall a 10 MB export.
 */
function sendDeployment(reply: FastifyReply, exported: { bytes: Buffer; gzipped: boolean }) {
  void reply.type('application/json')
  if (exported.gzipped) void reply.header('content-encoding', 'gzip').header('vary', 'accept-encoding')
  return reply.send(exported.bytes)
}
