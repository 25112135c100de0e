import type { Update } from './update.js'

export type UpdatePatch = Partial<Omit<Update, 'id' | 'stackId' | 'createdAt'>>

export interface UpdateStore {
  insert(update: Update): Promise<void>
  get(id: string): Promise<Update | undefined>
  patch(id: string, patch: UpdatePatch): Promise<void>
  /** Non-preview updates that started, newest first; `page` is 1-based. */
  history(stackId: string, page: number, pageSize: number): Promise<Update[]>
}
