import { Type } from 'typebox'
import { StackPath } from '../apitype/stacks.js'
import { NotFoundError } from '../errors.js'
import type { HttpServer } from '../http/http-server.js'
import { stackRef } from '../stacks/stack-routes.js'
import type { StackService } from '../stacks/stack-service.js'
import type { UpdateStore } from './update-store.js'

const UPDATE = '/api/stacks/:orgName/:projectName/:stackName/:updateKind/:updateId'
const UpdatePath = Type.Object({
  ...StackPath.properties,
  updateKind: Type.String(),
  updateId: Type.String(),
})

export function updateRoutes(app: HttpServer, deps: { stacks: StackService; updates: UpdateStore }): void {
  const { stacks, updates } = deps

  // apitype.UpdateResults, polled by the CLI after `stack import` (backend.go :: waitForUpdate) until
  // continuationToken is null. Imports complete synchronously, so one answer suffices.
  app.route({
    method: 'GET',
    url: UPDATE,
    config: { operationId: 'getUpdateStatus', auth: 'token' },
    schema: { params: UpdatePath },
    handler: async (request) => {
      const stack = await stacks.get(stackRef(request.params))
      const update = await updates.get(request.params.updateId)
      if (!update || update.stackId !== stack.id) {
        throw new NotFoundError(`Not Found: update '${request.params.updateId}' not found`)
      }
      const status =
        update.status === 'cancelled'
          ? 'failed'
          : update.status === 'not started'
            ? 'not started'
            : update.status
      return { status, events: [], continuationToken: null }
    },
  })
}
