/** Update kinds as the CLI names them (apitype.UpdateKind); `import` is a stack import, `rename` a stack rename. */
export type UpdateKind = 'update' | 'preview' | 'refresh' | 'destroy' | 'import' | 'rename'

export type UpdateStatus = 'not started' | 'running' | 'succeeded' | 'failed' | 'cancelled'

export interface Update {
  id: string
  stackId: string
  kind: UpdateKind
  dryRun: boolean
  status: UpdateStatus
  /** Stack version this update produces (current version for previews). */
  version: number
  /** Stack version whose state was the base of this update. */
  baseVersion: number
  program: Record<string, unknown>
  config: Record<string, unknown>
  message: string
  environment: Record<string, string>
  requestedBy: string
  createdAt: number
  startedAt: number | null
  endedAt: number | null
  leaseTokenHash: string | null
  previousLeaseTokenHash: string | null
  leaseExpiresAt: number | null
  /** Generation of the current lease token: a renewal is a conditional update on it. */
  leaseGeneration: number
  /** Uploads the durable log holds; cached working states are valid only at this position. */
  appliedPosition: number
  journalVersion: number
  checkpointSeq: number
  resourceChanges: Record<string, number> | null
  resourceCount: number | null
}

/** History results the CLI understands (apitype.UpdateResult); cancelled updates are shown as failed. */
export function historyResult(status: UpdateStatus): 'not-started' | 'in-progress' | 'succeeded' | 'failed' {
  switch (status) {
    case 'not started':
      return 'not-started'
    case 'running':
      return 'in-progress'
    case 'succeeded':
      return 'succeeded'
    case 'failed':
    case 'cancelled':
      return 'failed'
  }
}

/** An update record with everything not given at its empty default (no lease, no times, no results). */
export function newUpdate(
  fields: Pick<
    Update,
    'id' | 'stackId' | 'kind' | 'dryRun' | 'status' | 'version' | 'baseVersion' | 'requestedBy' | 'createdAt'
  > &
    Partial<Update>,
): Update {
  return {
    program: {},
    config: {},
    message: '',
    environment: {},
    startedAt: null,
    endedAt: null,
    leaseTokenHash: null,
    previousLeaseTokenHash: null,
    leaseExpiresAt: null,
    leaseGeneration: 0,
    appliedPosition: 0,
    journalVersion: 0,
    checkpointSeq: 0,
    resourceChanges: null,
    resourceCount: null,
    ...fields,
  }
}

/** A history entry for a change applied at once, without an update lifecycle (stack import, rename). */
export function instantUpdate(fields: {
  id: string
  stackId: string
  kind: 'import' | 'rename'
  version: number
  requestedBy: string
  at: number
  resourceCount: number
}): Update {
  return newUpdate({
    id: fields.id,
    stackId: fields.stackId,
    kind: fields.kind,
    dryRun: false,
    status: 'succeeded',
    version: fields.version,
    baseVersion: fields.version - 1,
    requestedBy: fields.requestedBy,
    createdAt: fields.at,
    startedAt: fields.at,
    endedAt: fields.at,
    resourceCount: fields.resourceCount,
  })
}
