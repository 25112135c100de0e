import { Type } from 'typebox'
import { StackPath } from '../apitype/stacks.js'
import { NotFoundError } from '../errors.js'
import type { HttpServer } from '../http/http-server.js'
import type { Stack } from '../stacks/stack.js'
import { stackRef } from '../stacks/stack-routes.js'
import type { StackService } from '../stacks/stack-service.js'
import { resourcesForIntegrations } from './resource-view.js'
import { requirePositiveVersion, type StateService } from './state-service.js'

const STACK = '/api/stacks/:orgName/:projectName/:stackName'
const VersionPath = Type.Object({ ...StackPath.properties, version: Type.String() })
const UrnPath = Type.Object({ ...StackPath.properties, version: Type.String(), urn: Type.String() })

/**
 * The Cloud's resource reads (GetLatestStackResources, GetStackResources, GetStackResource, GetStackResourceCount):
 * what integrations read instead of exporting the whole state. Secret values are masked; `region` is unknown here.
 */
export function resourceRoutes(app: HttpServer, deps: { stacks: StackService; state: StateService }): void {
  const { stacks, state } = deps

  const resourcesAt = async (stack: Stack, raw: string) => {
    const version = raw === 'latest' ? stack.version : requirePositiveVersion(raw)
    const { bytes } = await state.exportDeployment(stack, raw === 'latest' ? undefined : version, false)
    return { version, resources: resourcesForIntegrations(bytes) }
  }

  app.route({
    method: 'GET',
    url: `${STACK}/resources/count`,
    config: { operationId: 'getStackResourceCount', permission: 'stack:read', auth: 'token' },
    schema: { params: StackPath },
    handler: async (request) => {
      const stack = await stacks.get(stackRef(request.params))
      return { resourceCount: stack.resourceCount, version: stack.version }
    },
  })

  app.route({
    method: 'GET',
    url: `${STACK}/resources/:version`,
    config: { operationId: 'getStackResources', permission: 'stack:read', auth: 'token' },
    schema: { params: VersionPath },
    handler: async (request) => {
      const stack = await stacks.get(stackRef(request.params))
      const { version, resources } = await resourcesAt(stack, request.params.version)
      return { region: '', version, resources: resources.map((resource) => ({ resource })) }
    },
  })

  app.route({
    method: 'GET',
    url: `${STACK}/resources/:version/:urn`,
    config: { operationId: 'getStackResource', permission: 'stack:read', auth: 'token' },
    schema: { params: UrnPath },
    handler: async (request) => {
      const stack = await stacks.get(stackRef(request.params))
      const { version, resources } = await resourcesAt(stack, request.params.version)
      const resource = resources.find((r) => r.urn === request.params.urn)
      if (!resource) {
        throw new NotFoundError(
          `Not Found: no resource '${request.params.urn}' in version ${version} of the stack`,
        )
      }
      return { region: '', version, resource: { resource } }
    },
  })
}
