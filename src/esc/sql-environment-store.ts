import { type Kysely, sql } from 'kysely'
import type {
  EnvironmentRef,
  EnvironmentRow,
  EnvironmentStore,
  EnvironmentTagRow,
  OpenSessionRow,
  Retraction,
  RevisionRow,
  RevisionTagRow,
} from './environment-store.js'

/** ESC's tables (migration 0003-esc); backups and migrate-db list them beside the core schema. */
export interface EscTables {
  esc_environments: {
    id: string
    org: string
    project: string
    name: string
    latest_revision: number
    deletion_protected: number
    created_by: string
    created_at: number
    modified_at: number
  }
  esc_revisions: {
    environment_id: string
    revision: number
    yaml: string
    creator_login: string
    created_at: number
    retracted: string | null
  }
  esc_revision_tags: {
    environment_id: string
    name: string
    revision: number
    editor_login: string
    created_at: number
    modified_at: number
  }
  esc_environment_tags: {
    environment_id: string
    name: string
    value: string
    editor_login: string
    created_at: number
    modified_at: number
  }
  esc_org_keys: { org: string; wrapped_key: Buffer; created_at: number }
  esc_open_sessions: {
    id: string
    org: string
    environment_id: string | null
    sealed: Buffer
    created_at: number
    expires_at: number
  }
}

type EnvRow = EscTables['esc_environments']
type RevRow = EscTables['esc_revisions']

const toEnvironment = (r: EnvRow): EnvironmentRow => ({
  id: r.id,
  org: r.org,
  project: r.project,
  name: r.name,
  latestRevision: Number(r.latest_revision),
  deletionProtected: Number(r.deletion_protected) === 1,
  createdBy: r.created_by,
  createdAt: Number(r.created_at),
  modifiedAt: Number(r.modified_at),
})

const toRevision = (r: RevRow): RevisionRow => ({
  revision: Number(r.revision),
  yaml: r.yaml,
  creatorLogin: r.creator_login,
  createdAt: Number(r.created_at),
  ...(r.retracted ? { retracted: JSON.parse(r.retracted) as Retraction } : {}),
})

/** An environment change, told to integrations (webhooks) inside the transaction that makes it. */
export interface EnvironmentChange {
  kind: 'environment_created' | 'environment_deleted' | 'environment_revision_created'
  environment: EnvironmentRef & { id: string }
  user: string
  revision?: number
}

/** Records changes in the change's own transaction (an outbox); true when `committed` should be called after. */
export interface EnvironmentChangeSink {
  inTransaction(trx: object, change: EnvironmentChange): Promise<boolean>
  committed(): void
}

export class SqlEnvironmentStore implements EnvironmentStore {
  private readonly db: Kysely<EscTables>

  constructor(
    db: object,
    private readonly changes?: EnvironmentChangeSink,
  ) {
    this.db = db as Kysely<EscTables>
  }

  /** Runs `work` in a transaction whose changes it reports through `changed`; tells the sink after the commit. */
  async #changing<T>(
    work: (trx: Kysely<EscTables>, changed: (change: EnvironmentChange) => Promise<void>) => Promise<T>,
  ): Promise<T> {
    let queued = false
    const result = await this.db.transaction().execute((trx) =>
      work(trx, async (change) => {
        if (this.changes && (await this.changes.inTransaction(trx, change))) queued = true
      }),
    )
    if (queued) this.changes?.committed()
    return result
  }

  async get(ref: EnvironmentRef): Promise<EnvironmentRow | undefined> {
    const row = await this.db
      .selectFrom('esc_environments')
      .selectAll()
      .where('org', '=', ref.org)
      .where('project', '=', ref.project)
      .where('name', '=', ref.name)
      .executeTakeFirst()
    return row && toEnvironment(row)
  }

  async list(filter: { org?: string; after?: EnvironmentRef; limit: number }): Promise<EnvironmentRow[]> {
    let query = this.db.selectFrom('esc_environments').selectAll()
    if (filter.org !== undefined) query = query.where('org', '=', filter.org)
    if (filter.after) {
      const { org, project, name } = filter.after
      query = query.where(
        sql<boolean>`(org > ${org} or (org = ${org} and (project > ${project} or (project = ${project} and name > ${name}))))`,
      )
    }
    const rows = await query.orderBy('org').orderBy('project').orderBy('name').limit(filter.limit).execute()
    return rows.map(toEnvironment)
  }

  async create(row: EnvironmentRow, first: RevisionRow): Promise<boolean> {
    return this.#changing(async (trx, changed) => {
      const inserted = await trx
        .insertInto('esc_environments')
        .values({
          id: row.id,
          org: row.org,
          project: row.project,
          name: row.name,
          latest_revision: first.revision,
          deletion_protected: row.deletionProtected ? 1 : 0,
          created_by: row.createdBy,
          created_at: row.createdAt,
          modified_at: row.modifiedAt,
        })
        .onConflict((oc) => oc.columns(['org', 'project', 'name']).doNothing())
        .executeTakeFirst()
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false
      await trx.insertInto('esc_revisions').values(revisionValues(row.id, first)).execute()
      await changed({ kind: 'environment_created', environment: row, user: row.createdBy })
      return true
    })
  }

  async appendRevision(environmentId: string, expected: number, revision: RevisionRow): Promise<boolean> {
    return this.#changing(async (trx, changed) => {
      const updated = await trx
        .updateTable('esc_environments')
        .set({ latest_revision: revision.revision, modified_at: revision.createdAt })
        .where('id', '=', environmentId)
        .where('latest_revision', '=', expected)
        .executeTakeFirst()
      if (Number(updated.numUpdatedRows) === 0) return false
      await trx.insertInto('esc_revisions').values(revisionValues(environmentId, revision)).execute()
      const env = await trx
        .selectFrom('esc_environments')
        .selectAll()
        .where('id', '=', environmentId)
        .executeTakeFirst()
      if (env) {
        await changed({
          kind: 'environment_revision_created',
          environment: toEnvironment(env),
          user: revision.creatorLogin,
          revision: revision.revision,
        })
      }
      return true
    })
  }

  async delete(environmentId: string, user: string): Promise<void> {
    await this.#changing(async (trx, changed) => {
      const env = await trx
        .selectFrom('esc_environments')
        .selectAll()
        .where('id', '=', environmentId)
        .executeTakeFirst()
      if (env) await changed({ kind: 'environment_deleted', environment: toEnvironment(env), user })
      for (const table of ['esc_revisions', 'esc_revision_tags', 'esc_environment_tags'] as const) {
        await trx.deleteFrom(table).where('environment_id', '=', environmentId).execute()
      }
      await trx.deleteFrom('esc_open_sessions').where('environment_id', '=', environmentId).execute()
      await trx.deleteFrom('esc_environments').where('id', '=', environmentId).execute()
    })
  }

  async setDeletionProtected(environmentId: string, value: boolean): Promise<void> {
    await this.db
      .updateTable('esc_environments')
      .set({ deletion_protected: value ? 1 : 0 })
      .where('id', '=', environmentId)
      .execute()
  }

  async getRevision(environmentId: string, revision: number): Promise<RevisionRow | undefined> {
    const row = await this.db
      .selectFrom('esc_revisions')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .where('revision', '=', revision)
      .executeTakeFirst()
    return row && toRevision(row)
  }

  async listRevisions(
    environmentId: string,
    before: number | undefined,
    limit: number,
  ): Promise<RevisionRow[]> {
    let query = this.db.selectFrom('esc_revisions').selectAll().where('environment_id', '=', environmentId)
    if (before !== undefined) query = query.where('revision', '<', before)
    const rows = await query.orderBy('revision', 'desc').limit(limit).execute()
    return rows.map(toRevision)
  }

  async setRetracted(environmentId: string, revision: number, retraction: Retraction): Promise<void> {
    await this.db
      .updateTable('esc_revisions')
      .set({ retracted: JSON.stringify(retraction) })
      .where('environment_id', '=', environmentId)
      .where('revision', '=', revision)
      .execute()
  }

  async listRevisionTags(environmentId: string): Promise<RevisionTagRow[]> {
    const rows = await this.db
      .selectFrom('esc_revision_tags')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .orderBy('name')
      .execute()
    return rows.map(toRevisionTag)
  }

  async getRevisionTag(environmentId: string, name: string): Promise<RevisionTagRow | undefined> {
    const row = await this.db
      .selectFrom('esc_revision_tags')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .where('name', '=', name)
      .executeTakeFirst()
    return row && toRevisionTag(row)
  }

  async putRevisionTag(environmentId: string, tag: RevisionTagRow): Promise<void> {
    await this.db
      .insertInto('esc_revision_tags')
      .values({
        environment_id: environmentId,
        name: tag.name,
        revision: tag.revision,
        editor_login: tag.editorLogin,
        created_at: tag.createdAt,
        modified_at: tag.modifiedAt,
      })
      .onConflict((oc) =>
        oc.columns(['environment_id', 'name']).doUpdateSet({
          revision: tag.revision,
          editor_login: tag.editorLogin,
          modified_at: tag.modifiedAt,
        }),
      )
      .execute()
  }

  async deleteRevisionTag(environmentId: string, name: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('esc_revision_tags')
      .where('environment_id', '=', environmentId)
      .where('name', '=', name)
      .executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }

  async listEnvironmentTags(environmentId: string): Promise<EnvironmentTagRow[]> {
    const rows = await this.db
      .selectFrom('esc_environment_tags')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .orderBy('name')
      .execute()
    return rows.map((r) => ({
      name: r.name,
      value: r.value,
      editorLogin: r.editor_login,
      createdAt: Number(r.created_at),
      modifiedAt: Number(r.modified_at),
    }))
  }

  async listTagsOf(environmentIds: readonly string[]): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>()
    if (environmentIds.length === 0) return out
    const rows = await this.db
      .selectFrom('esc_environment_tags')
      .select(['environment_id', 'name', 'value'])
      .where('environment_id', 'in', environmentIds)
      .execute()
    for (const r of rows) {
      const tags = out.get(r.environment_id) ?? {}
      tags[r.name] = r.value
      out.set(r.environment_id, tags)
    }
    return out
  }

  async putEnvironmentTag(environmentId: string, tag: EnvironmentTagRow): Promise<void> {
    await this.db
      .insertInto('esc_environment_tags')
      .values({
        environment_id: environmentId,
        name: tag.name,
        value: tag.value,
        editor_login: tag.editorLogin,
        created_at: tag.createdAt,
        modified_at: tag.modifiedAt,
      })
      .onConflict((oc) =>
        oc
          .columns(['environment_id', 'name'])
          .doUpdateSet({ value: tag.value, editor_login: tag.editorLogin, modified_at: tag.modifiedAt }),
      )
      .execute()
  }

  async deleteEnvironmentTag(environmentId: string, name: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('esc_environment_tags')
      .where('environment_id', '=', environmentId)
      .where('name', '=', name)
      .executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }

  async getOrgKey(org: string): Promise<Buffer | undefined> {
    const row = await this.db
      .selectFrom('esc_org_keys')
      .select('wrapped_key')
      .where('org', '=', org)
      .executeTakeFirst()
    return row?.wrapped_key
  }

  async insertOrgKeyIfAbsent(org: string, wrappedKey: Buffer, at: number): Promise<Buffer> {
    await this.db
      .insertInto('esc_org_keys')
      .values({ org, wrapped_key: wrappedKey, created_at: at })
      .onConflict((oc) => oc.column('org').doNothing())
      .execute()
    const stored = await this.getOrgKey(org)
    if (!stored) throw new Error('organization key vanished after insert')
    return stored
  }

  async pageOrgKeys(afterOrg: string, limit: number): Promise<{ id: string; wrappedKey: Buffer }[]> {
    const rows = await this.db
      .selectFrom('esc_org_keys')
      .select(['org', 'wrapped_key'])
      .where('org', '>', afterOrg)
      .orderBy('org')
      .limit(limit)
      .execute()
    return rows.map((row) => ({ id: row.org, wrappedKey: row.wrapped_key }))
  }

  async replaceOrgKey(org: string, expected: Buffer, wrappedKey: Buffer): Promise<boolean> {
    const result = await this.db
      .updateTable('esc_org_keys')
      .set({ wrapped_key: wrappedKey })
      .where('org', '=', org)
      .where('wrapped_key', '=', expected)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) === 1
  }

  async putOpenSession(session: OpenSessionRow, at: number): Promise<void> {
    await this.db
      .insertInto('esc_open_sessions')
      .values({
        id: session.id,
        org: session.org,
        environment_id: session.environmentId,
        sealed: session.sealed,
        created_at: at,
        expires_at: session.expiresAt,
      })
      .execute()
  }

  async getOpenSession(id: string): Promise<OpenSessionRow | undefined> {
    const row = await this.db
      .selectFrom('esc_open_sessions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()
    return (
      row && {
        id: row.id,
        org: row.org,
        environmentId: row.environment_id,
        sealed: row.sealed,
        expiresAt: Number(row.expires_at),
      }
    )
  }

  async deleteExpiredOpenSessions(now: number): Promise<number> {
    const result = await this.db
      .deleteFrom('esc_open_sessions')
      .where('expires_at', '<', now)
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  }
}

function revisionValues(environmentId: string, r: RevisionRow): RevRow {
  return {
    environment_id: environmentId,
    revision: r.revision,
    yaml: r.yaml,
    creator_login: r.creatorLogin,
    created_at: r.createdAt,
    retracted: r.retracted ? JSON.stringify(r.retracted) : null,
  }
}

function toRevisionTag(r: EscTables['esc_revision_tags']): RevisionTagRow {
  return {
    name: r.name,
    revision: Number(r.revision),
    editorLogin: r.editor_login,
    createdAt: Number(r.created_at),
    modifiedAt: Number(r.modified_at),
  }
}
