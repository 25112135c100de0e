import type { Stack, StackRef } from './stack.js'

export interface StackListFilter {
  org?: string | undefined
  project?: string | undefined
  tagName?: string | undefined
  tagValue?: string | undefined
  /** Keyset pagination: return stacks ordered after this (org, project, name). */
  after?: StackRef | undefined
  limit: number
}

export interface StackStore {
  findByRef(ref: StackRef): Promise<Stack | undefined>
  findById(id: string): Promise<Stack | undefined>
  /** Throws AlreadyExistsError when the name is taken. */
  insert(stack: Stack): Promise<void>
  list(filter: StackListFilter): Promise<Stack[]>
  setTags(id: string, tags: Record<string, string>): Promise<void>
  /** Throws AlreadyExistsError when the new name is taken. */
  rename(id: string, project: string, name: string): Promise<void>
  /** Removes the stack and everything it owns (state, keys, updates, journal, events). */
  delete(id: string): Promise<void>
  /**
   * Makes `version` (the one after the stack's current version; 0 for a new stack's initial state) current.
   * False when the stack is no longer at the version before it (another writer got there first) or its lock is
   * not held by `lockedBy` (the completing update; null: nobody may hold it).
   */
  recordVersion(
    id: string,
    change: { version: number; resourceCount: number; at: number; lockedBy: string | null },
  ): Promise<boolean>
  /** Takes the stack lock for an update; false when another update holds it. */
  lock(id: string, updateId: string, at: number): Promise<boolean>
  unlock(id: string, updateId: string): Promise<void>
  setLastUpdate(id: string, updateId: string, at: number): Promise<void>
}
