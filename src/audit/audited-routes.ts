/**
 * Update traffic that arrives many times a second during `pulumi up` is not audited (as in the Go server): the
 * update's start, completion and cancellation are, and they bracket it.
 */
export const HIGH_FREQUENCY_OPERATIONS: ReadonlySet<string> = new Set([
  'patchCheckpoint',
  'patchCheckpointVerbatim',
  'patchCheckpointDelta',
  'patchJournalEntries',
  'postEngineEventBatch',
  'renewLease',
])

/** Every request that may change something is audited; reads only when the route asks (login callbacks). */
export function isAudited(
  method: string,
  config: { operationId: string; audit?: boolean | undefined },
): boolean {
  if (config.audit) return true
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return false
  return !HIGH_FREQUENCY_OPERATIONS.has(config.operationId)
}
