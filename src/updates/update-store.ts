import type { Update } from './update.js'

export type UpdatePatch = Partial<Omit<Update, 'id' | 'stackId' | 'createdAt'>>

export interface UpdateStore {
  insert(update: Update): Promise<void>
  get(id: string): Promise<Update | undefined>
  patch(id: string, patch: UpdatePatch): Promise<void>
  /** Non-preview updates that started, newest first; `page` is 1-based. */
  history(stackId: string, page: number, pageSize: number): Promise<Update[]>
  /** The non-preview update that produced `version`. */
  byVersion(stackId: string, version: number): Promise<Update | undefined>
  /** The update holding a lease token (current or immediately previous), by token hash. */
  byLeaseHash(tokenHash: string): Promise<Update | undefined>
  /** Running updates whose lease ran out before `now`. */
  expired(now: number): Promise<Update[]>
}
