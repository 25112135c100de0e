import type { Update } from './update.js'

export type UpdatePatch = Partial<Omit<Update, 'id' | 'stackId' | 'createdAt'>>

/** What a conditional write expects of the row (compare-and-set): every given field must match. */
export interface UpdateExpectation {
  status?: readonly Update['status'][]
  leaseGeneration?: number
  appliedPosition?: number
  /** SHA-256 of a lease token that must be the current or the previous one. */
  leaseHeldBy?: string
}

/** Who holds a lease token: the update and the name of its stack (for the token's scope check). */
export interface LeaseHolder {
  updateId: string
  stackId: string
  org: string
  project: string
  stack: string
}

export interface UpdateStore {
  insert(update: Update): Promise<void>
  get(id: string): Promise<Update | undefined>
  patch(id: string, patch: UpdatePatch): Promise<void>
  /**
   * Applies `patch` only if the row still matches `expected`; false when it does not (another request or
   * replica changed it first). Status transitions, lease rotations and log positions all go through this.
   */
  patchIf(id: string, expected: UpdateExpectation, patch: UpdatePatch): Promise<boolean>
  /** Non-preview updates that started, newest first; `page` is 1-based. */
  history(stackId: string, page: number, pageSize: number): Promise<Update[]>
  /** The non-preview update that produced `version`. */
  byVersion(stackId: string, version: number): Promise<Update | undefined>
  /** The update holding a lease token (current or immediately previous), by token hash; one query. */
  leaseHolder(tokenHash: string): Promise<LeaseHolder | undefined>
  /** Running updates whose lease ran out before `now`. */
  expired(now: number): Promise<Update[]>
}
