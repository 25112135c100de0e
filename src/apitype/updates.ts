import { Type } from 'typebox'
import { SafeInteger } from './safe-integer.js'

// sdk/go/common/apitype/updates.go, events.go and history.go, with the CLI's exact JSON names.

const ConfigValue = Type.Object({
  string: Type.String(),
  secret: Type.Optional(Type.Boolean()),
  object: Type.Optional(Type.Boolean()),
})

/** apitype.UpdateProgramRequest (create update). Unknown keys are tolerated: newer CLIs add options. */
export const UpdateProgramRequest = Type.Object({
  name: Type.Optional(Type.String()),
  runtime: Type.Optional(Type.String()),
  main: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  options: Type.Optional(
    Type.Object({ dryRun: Type.Optional(Type.Boolean()) }, { additionalProperties: true }),
  ),
  config: Type.Optional(Type.Union([Type.Record(Type.String(), ConfigValue), Type.Null()])),
  metadata: Type.Optional(
    Type.Object({
      message: Type.Optional(Type.String()),
      environment: Type.Optional(Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()])),
    }),
  ),
})

/** apitype.StartUpdateRequest */
export const StartUpdateRequest = Type.Object({
  tags: Type.Optional(Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()])),
  journalVersion: Type.Optional(SafeInteger({ minimum: 0 })),
})

/** apitype.RenewUpdateLeaseRequest: since API v5 the token travels in the header and `token` is "". */
export const RenewUpdateLeaseRequest = Type.Object({
  token: Type.Optional(Type.String()),
  duration: SafeInteger({ minimum: 0 }),
})

/** apitype.CompleteUpdateRequest: the CLI sends only succeeded or failed. */
export const CompleteUpdateRequest = Type.Object({
  status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
})

/** apitype.PatchUpdateCheckpointDeltaRequest */
export const PatchUpdateCheckpointDeltaRequest = Type.Object({
  version: SafeInteger({ minimum: 1, maximum: 4 }),
  checkpointHash: Type.String({ pattern: '^[0-9a-fA-F]{64}$' }),
  sequenceNumber: SafeInteger({ minimum: 1 }),
  deploymentDelta: Type.Union([Type.Array(Type.Unknown()), Type.Null()]),
})

export const HistoryQuery = Type.Object({
  pageSize: Type.Optional(Type.String()),
  page: Type.Optional(Type.String()),
})

/** client.go :: GetUpdateEngineEvents: `type` repeats once per `--event-type`. */
export const EventsQuery = Type.Object({
  continuationToken: Type.Optional(Type.String()),
  type: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
  urn: Type.Optional(Type.String()),
  include_non_activated: Type.Optional(Type.String()),
})

/** apitype.UpdateInfo (history). */
export interface UpdateInfo {
  kind: string
  startTime: number
  message: string
  environment: Record<string, string>
  config: Record<string, unknown>
  result: string
  endTime?: number
  version: number
  resourceChanges?: Record<string, number>
  resourceCount?: number
  requestedBy?: { name: string; githubLogin: string }
}

/** apitype.UpdateSummary (`GET …/updates/{version}/summary`). */
export interface UpdateSummary {
  result: 'not-started' | 'in-progress' | 'succeeded' | 'failed'
  startTime: number
  endTime: number
  resourceCount: number
}
