import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { JournalEntriesSchema } from '../apitype/journal.js'
import { StackPath } from '../apitype/stacks.js'
import {
  CompleteUpdateRequest,
  PatchUpdateCheckpointDeltaRequest,
  RenewUpdateLeaseRequest,
  StartUpdateRequest,
  UpdateProgramRequest,
} from '../apitype/updates.js'
import type { HttpServer } from '../http/http-server.js'
import { leaseOf, userOf } from '../http/route-config.js'
import { stackRef } from '../stacks/stack-routes.js'
import { parseEngineEventBatch } from './engine-event-batch.js'
import { parseJournalEntries } from './journal-entries.js'
import type { UpdateLogStore } from './update-log-store.js'
import { cliVersionFromUserAgent, type UpdateService } from './update-service.js'
import { parseCheckpointEdits } from './working-state.js'

const STACK = '/api/stacks/:orgName/:projectName/:stackName'
// client.go :: getUpdatePath always uses the literal "update"; older CLIs used the real kind, so accept any known
// kind (apitype.UpdateKind). Any other segment matches no route: 404, before authentication.
export const UPDATE = `${STACK}/:updateKind(^(?:update|preview|refresh|destroy|import|rename)$)/:updateId`
export const UpdatePath = Type.Object({
  ...StackPath.properties,
  updateKind: Type.String(),
  updateId: Type.String(),
})

export function updateRoutes(app: HttpServer, deps: { updates: UpdateService; logs: UpdateLogStore }): void {
  const { updates } = deps

  for (const kind of ['update', 'preview', 'refresh', 'destroy'] as const) {
    app.route({
      method: 'POST',
      url: `${STACK}/${kind}`,
      // Previews too: they open an update on the stack (as the Go server: every POST needs write).
      config: {
        operationId: `create${kind[0]?.toUpperCase()}${kind.slice(1)}`,
        permission: 'stack:write',
        auth: 'token',
      },
      schema: { params: StackPath, body: UpdateProgramRequest },
      handler: async (request) => {
        const body = request.body
        // Previews of up/refresh/destroy arrive on their own endpoint with options.dryRun (protocol §4.5).
        const updateID = await updates.create(userOf(request.principal), stackRef(request.params), {
          kind,
          dryRun: kind === 'preview' || body.options?.dryRun === true,
          program: { name: body.name, runtime: body.runtime, main: body.main, description: body.description },
          config: body.config ?? {},
          message: body.metadata?.message ?? '',
          environment: body.metadata?.environment ?? {},
        })
        // apitype.UpdateProgramResponse: note "updateID"; no required policy packs.
        return { updateID, requiredPolicies: [], messages: [], aiSettings: { copilotIsEnabled: false } }
      },
    })
  }

  app.route({
    method: 'POST',
    url: UPDATE,
    config: { operationId: 'startUpdate', permission: 'stack:write', auth: 'token' },
    schema: { params: UpdatePath, body: Type.Union([StartUpdateRequest, Type.Null()]) },
    handler: async (request) => {
      const body = request.body ?? {}
      return updates.start(stackRef(request.params), request.params.updateId, {
        tags: body.tags ?? undefined,
        journalVersion: body.journalVersion,
      })
    },
  })

  app.route({
    method: 'GET',
    url: UPDATE,
    config: { operationId: 'getUpdateStatus', permission: 'stack:read', auth: 'token' },
    schema: { params: UpdatePath },
    handler: async (request) => {
      const update = await updates.get(stackRef(request.params), request.params.updateId)
      // apitype.UpdateResults; the CLI polls without sleeping while continuationToken is non-null.
      const status = update.status === 'cancelled' ? 'failed' : update.status
      const done = status === 'succeeded' || status === 'failed'
      return { status, events: [], continuationToken: done ? null : '0' }
    },
  })

  app.route({
    method: 'POST',
    url: `${UPDATE}/renew_lease`,
    config: { operationId: 'renewLease', permission: 'update', auth: 'update-token' },
    schema: { params: UpdatePath, body: RenewUpdateLeaseRequest },
    handler: async (request) => updates.renewLease(leaseOf(request.principal), request.body.duration),
  })

  app.route({
    method: 'PATCH',
    url: `${UPDATE}/checkpoint`,
    config: {
      operationId: 'patchCheckpoint',
      permission: 'update',
      auth: 'update-token',
      rawBody: true,
      scansJson: true,
      body: 'state',
    },
    schema: { params: UpdatePath },
    handler: async (request) => {
      await updates.saveCheckpoint(leaseOf(request.principal), request.body as Buffer)
      return {}
    },
  })

  app.route({
    method: 'PATCH',
    url: `${UPDATE}/checkpointverbatim`,
    // Raw bytes: the text inside must be kept exactly, or later delta hashes cannot match (protocol §6.4).
    config: {
      operationId: 'patchCheckpointVerbatim',
      permission: 'update',
      auth: 'update-token',
      rawBody: true,
      scansJson: true,
      body: 'state',
    },
    schema: { params: UpdatePath },
    handler: async (request) => {
      await updates.saveVerbatimCheckpoint(leaseOf(request.principal), request.body as Buffer)
      return {}
    },
  })

  app.route({
    method: 'PATCH',
    url: `${UPDATE}/checkpointdelta`,
    config: {
      operationId: 'patchCheckpointDelta',
      permission: 'update',
      auth: 'update-token',
      body: 'state',
    },
    schema: { params: UpdatePath, body: PatchUpdateCheckpointDeltaRequest },
    handler: async (request) => {
      const body = request.body
      await updates.saveDeltaCheckpoint(leaseOf(request.principal), {
        edits: parseCheckpointEdits(body.deploymentDelta ?? []),
        checkpointHash: body.checkpointHash.toLowerCase(),
        sequenceNumber: body.sequenceNumber,
      })
      return {}
    },
  })

  app.route({
    method: 'PATCH',
    url: `${UPDATE}/journalentries`,
    config: {
      operationId: 'patchJournalEntries',
      permission: 'update',
      auth: 'update-token',
      body: 'journal',
    },
    schema: { params: UpdatePath, body: JournalEntriesSchema },
    handler: async (request) => {
      await updates.saveJournalEntries(leaseOf(request.principal), parseJournalEntries(request.body))
      return {}
    },
  })

  app.route({
    method: 'POST',
    url: `${UPDATE}/events/batch`,
    // Raw bytes: events are split and stored by scanning, never parsed whole (see engine-event-batch.ts).
    config: {
      operationId: 'postEngineEventBatch',
      permission: 'update',
      auth: 'update-token',
      rawBody: true,
      body: 'events',
    },
    schema: { params: UpdatePath },
    handler: async (request) => {
      await updates.recordEvents(leaseOf(request.principal), parseEngineEventBatch(request.body as Buffer))
      return {}
    },
  })

  app.route({
    method: 'POST',
    url: `${UPDATE}/complete`,
    config: { operationId: 'completeUpdate', permission: 'update', auth: 'update-token' },
    schema: { params: UpdatePath, body: CompleteUpdateRequest },
    handler: async (request) => {
      await updates.complete(leaseOf(request.principal), request.body.status, cliVersionOf(request))
      return {}
    },
  })

  app.route({
    method: 'POST',
    url: `${UPDATE}/cancel`,
    config: { operationId: 'cancelUpdate', permission: 'stack:write', auth: 'token' },
    schema: { params: UpdatePath },
    handler: async (request) => {
      await updates.cancel(stackRef(request.params), request.params.updateId)
      return {}
    },
  })
}

function cliVersionOf(request: FastifyRequest): string {
  return cliVersionFromUserAgent(request.headers['user-agent'])
}
