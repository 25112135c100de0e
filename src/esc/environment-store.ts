// The persistence port of ESC environments. Timestamps are Unix milliseconds.

export interface EnvironmentRef {
  org: string
  project: string
  name: string
}

export interface EnvironmentRow extends EnvironmentRef {
  id: string
  latestRevision: number
  deletionProtected: boolean
  /** Login of the user who created it (the environment's owner). */
  createdBy: string
  createdAt: number
  modifiedAt: number
}

export interface Retraction {
  replacement: number
  at: number
  byLogin: string
  reason: string
}

export interface RevisionRow {
  revision: number
  yaml: string
  creatorLogin: string
  createdAt: number
  retracted?: Retraction
}

export interface NamedRow {
  name: string
  editorLogin: string
  createdAt: number
  modifiedAt: number
}
export interface RevisionTagRow extends NamedRow {
  revision: number
}
export interface EnvironmentTagRow extends NamedRow {
  value: string
}

export interface OpenSessionRow {
  id: string
  org: string
  environmentId: string | null
  sealed: Buffer
  expiresAt: number
}

export interface EnvironmentStore {
  get(ref: EnvironmentRef): Promise<EnvironmentRow | undefined>
  /** Environments ordered by (org, project, name), strictly after `after` when given. */
  list(filter: { org?: string; after?: EnvironmentRef; limit: number }): Promise<EnvironmentRow[]>
  /** Creates the environment with its first revision; false if the name is taken. */
  create(row: EnvironmentRow, first: RevisionRow): Promise<boolean>
  /**
   * Appends revision `expected + 1` if the latest is still `expected` (optimistic concurrency); false otherwise.
   */
  appendRevision(environmentId: string, expected: number, revision: RevisionRow): Promise<boolean>
  /** `user`: the login deleting it, named in the environment_deleted webhook. */
  delete(environmentId: string, user: string): Promise<void>
  setDeletionProtected(environmentId: string, value: boolean): Promise<void>

  getRevision(environmentId: string, revision: number): Promise<RevisionRow | undefined>
  /** Revisions newest first, numbered below `before` when given. */
  listRevisions(environmentId: string, before: number | undefined, limit: number): Promise<RevisionRow[]>
  setRetracted(environmentId: string, revision: number, retraction: Retraction): Promise<void>

  listRevisionTags(environmentId: string): Promise<RevisionTagRow[]>
  getRevisionTag(environmentId: string, name: string): Promise<RevisionTagRow | undefined>
  putRevisionTag(environmentId: string, tag: RevisionTagRow): Promise<void>
  deleteRevisionTag(environmentId: string, name: string): Promise<boolean>

  listEnvironmentTags(environmentId: string): Promise<EnvironmentTagRow[]>
  /** Tags of many environments at once (for listings), by environment id. */
  listTagsOf(environmentIds: readonly string[]): Promise<Map<string, Record<string, string>>>
  putEnvironmentTag(environmentId: string, tag: EnvironmentTagRow): Promise<void>
  deleteEnvironmentTag(environmentId: string, name: string): Promise<boolean>

  getOrgKey(org: string): Promise<Buffer | undefined>
  /** Stores the wrapped key unless one exists; returns whichever is stored (first writer wins). */
  insertOrgKeyIfAbsent(org: string, wrappedKey: Buffer, at: number): Promise<Buffer>
  /** Organization keys after `afterOrg`, in org order (key migration). */
  pageOrgKeys(afterOrg: string, limit: number): Promise<{ id: string; wrappedKey: Buffer }[]>
  /** Replaces a wrapped key only if it is still `expected`; true when this call replaced it. */
  replaceOrgKey(org: string, expected: Buffer, wrappedKey: Buffer): Promise<boolean>

  putOpenSession(session: OpenSessionRow, at: number): Promise<void>
  getOpenSession(id: string): Promise<OpenSessionRow | undefined>
  deleteExpiredOpenSessions(now: number): Promise<number>
}
