import { Type } from 'typebox'
import {
  CreateStackRequest,
  DeleteStackQuery,
  ListStacksQuery,
  ProjectPath,
  StackPath,
  StackRenameRequest,
  type StackResponse,
  type StackSummary,
  UpdateStackTagsRequest,
} from '../apitype/stacks.js'
import { ForbiddenError, NotFoundError } from '../errors.js'
import type { HttpServer } from '../http/http-server.js'
import { userOf } from '../http/route-config.js'
import type { Principal } from '../identity/principal.js'
import type { UpdateStore } from '../updates/update-store.js'
import type { Stack } from './stack.js'
import { sanitizeTeams, validateOwnerName, validateProjectName } from './stack.js'
import type { StackService } from './stack-service.js'

export const stackRef = (params: { orgName: string; projectName: string; stackName: string }) => ({
  org: params.orgName,
  project: params.projectName,
  stack: params.stackName,
})

const STACK = '/api/stacks/:orgName/:projectName/:stackName'

export function stackRoutes(
  app: HttpServer,
  {
    stacks,
    updates,
    releaseLapsedLock,
    readable,
    teamGrant,
  }: {
    stacks: StackService
    updates: UpdateStore
    /** Ends the stack's update if its lease lapsed (UpdateService.releaseLapsedLock): the stack is free then. */
    releaseLapsedLock: (stack: Stack) => Promise<Stack>
    /** Access control: listings show only the stacks the caller may read (existence does not leak). */
    readable: (principal: Principal | undefined, stacks: readonly Stack[]) => Promise<Stack[]>
    /** Access control: may the caller grant these teams access to the stack it creates (a reason if not)? */
    teamGrant: (principal: Principal | undefined, teams: readonly string[]) => string | undefined
  },
): void {
  app.route({
    method: 'GET',
    url: '/api/user/stacks',
    config: { operationId: 'listUserStacks', permission: 'authenticated', auth: 'token' },
    schema: { querystring: ListStacksQuery },
    handler: async (request) => {
      const { organization, ...filter } = request.query
      const page = await stacks.list({ ...filter, org: organization })
      const visible = await readable(request.principal, page.stacks)
      // The CLI loops while continuationToken is non-null, so the last page must omit it (stack_list.go).
      return { stacks: visible.map(toSummary), continuationToken: page.continuationToken ?? null }
    },
  })

  app.route({
    method: 'GET',
    url: '/api/stacks/:orgName',
    config: { operationId: 'listOrganizationStacks', permission: 'authenticated', auth: 'token' },
    schema: { params: Type.Object({ orgName: Type.String() }), querystring: ListStacksQuery },
    handler: async (request) => {
      validateOwnerName(request.params.orgName)
      const { organization: _ignored, ...filter } = request.query
      const page = await stacks.list({ ...filter, org: request.params.orgName })
      const visible = await readable(request.principal, page.stacks)
      return { stacks: visible.map(toSummary), continuationToken: page.continuationToken ?? null }
    },
  })

  app.route({
    method: 'HEAD',
    url: '/api/stacks/:orgName/:projectName',
    config: { operationId: 'projectExists', permission: 'authenticated', auth: 'token' },
    schema: { params: ProjectPath },
    handler: async (request, reply) => {
      validateOwnerName(request.params.orgName)
      validateProjectName(request.params.projectName)
      // A project exists for the caller when it holds a stack the caller may read: the same 404 otherwise.
      const exists = await stacks.projectExists(request.params.orgName, request.params.projectName, (page) =>
        readable(request.principal, page),
      )
      if (!exists) throw new NotFoundError(`Not Found: project '${request.params.projectName}' not found`)
      return reply.code(200).send()
    },
  })

  app.route({
    method: 'POST',
    url: '/api/stacks/:orgName/:projectName',
    config: { operationId: 'createStack', permission: 'stack:create', auth: 'token' },
    schema: { params: ProjectPath, body: CreateStackRequest },
    handler: async (request) => {
      const { stackName, tags, teams, state, config } = request.body
      const named = sanitizeTeams(teams ?? [])
      const refused = teamGrant(request.principal, named)
      if (refused) throw new ForbiddenError(`Forbidden: ${refused}`)
      await stacks.create(
        request.params.orgName,
        request.params.projectName,
        {
          stackName,
          tags: tags ?? undefined,
          teams: named,
          state,
          config,
        },
        userOf(request.principal).login,
      )
      // apitype.CreateStackResponse: the CLI builds its stack object from the request; {} is a full answer.
      return {}
    },
  })

  app.route({
    method: 'GET',
    url: STACK,
    config: { operationId: 'getStack', permission: 'stack:read', auth: 'token' },
    schema: { params: StackPath },
    handler: async (request) => {
      const stack = await releaseLapsedLock(await stacks.get(stackRef(request.params)))
      // `pulumi stack` prints "<kind> in progress" from currentOperation; omitted when idle.
      const running = stack.lockedByUpdate ? await updates.get(stack.lockedByUpdate) : undefined
      const operation = running && {
        kind: running.kind,
        author: running.requestedBy,
        started: Math.floor((running.startedAt ?? running.createdAt) / 1000),
      }
      return toStackResponse(stack, operation)
    },
  })

  app.route({
    method: 'DELETE',
    url: STACK,
    config: { operationId: 'deleteStack', permission: 'stack:admin', auth: 'token' },
    schema: { params: StackPath, querystring: DeleteStackQuery },
    handler: async (request) => {
      await releaseLapsedLock(await stacks.get(stackRef(request.params)))
      await stacks.delete(
        stackRef(request.params),
        request.query.force === 'true',
        userOf(request.principal).login,
      )
      return {}
    },
  })

  app.route({
    method: 'POST',
    url: `${STACK}/rename`,
    config: { operationId: 'renameStack', permission: 'stack:admin', auth: 'token' },
    schema: { params: StackPath, body: StackRenameRequest },
    handler: async (request) => {
      const { newName, newProject } = request.body
      await releaseLapsedLock(await stacks.get(stackRef(request.params)))
      await stacks.rename(
        stackRef(request.params),
        newName,
        newProject || request.params.projectName,
        userOf(request.principal).login,
      )
      return {}
    },
  })

  app.route({
    method: 'PATCH',
    url: `${STACK}/tags`,
    config: { operationId: 'updateStackTags', permission: 'stack:write', auth: 'token' },
    schema: { params: StackPath, body: UpdateStackTagsRequest },
    handler: async (request) => {
      await stacks.setTags(stackRef(request.params), request.body)
      return {}
    },
  })
}

export function toStackResponse(stack: Stack, operation?: StackResponse['currentOperation']): StackResponse {
  return {
    id: stack.id,
    orgName: stack.org,
    projectName: stack.project,
    stackName: stack.name,
    // `pulumi cancel` posts to /update/<activeUpdate>/cancel (backend.go :: CancelCurrentUpdate).
    activeUpdate: stack.lockedByUpdate ?? stack.lastUpdateId ?? '',
    ...(operation ? { currentOperation: operation } : {}),
    tags: stack.tags,
    version: stack.version,
  }
}

function toSummary(stack: Stack): StackSummary {
  const summary: StackSummary = {
    id: stack.id,
    orgName: stack.org,
    projectName: stack.project,
    stackName: stack.name,
    resourceCount: stack.resourceCount,
  }
  // lastUpdate 0 means "update in progress" to the CLI (stack_list.go :: isUpdateInProgress).
  if (stack.lockedByUpdate) summary.lastUpdate = 0
  else if (stack.lastUpdateAt !== null) summary.lastUpdate = Math.floor(stack.lastUpdateAt / 1000)
  return summary
}
