import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from 'kysely'
import type { Dialect } from '../db/database.js'
import { SQLITE_FTS_COLUMNS } from '../db/migrations/0031-search-indices.js'
import type { Database } from '../db/schema.js'
import type { IndexedResource } from './resource-index.js'
import type { SearchField, SearchTerm } from './search-query.js'

export interface SearchHit extends IndexedResource {
  project: string
  stack: string
}

/** Any field but the flags. */
export type SortField = Exclude<SearchField, 'protected' | 'custom'>

export interface SearchRequest {
  org: string
  terms: SearchTerm[]
  sort: SortField
  ascending: boolean
  offset: number
  limit: number
  /** The total is exact up to this many matches, and reads as this many beyond. */
  countUpTo: number
}

/** The search index: a row per resource of each stack's latest state. */
export interface SearchIndexStore {
  /** What the index knows of a stack's resources (to keep their first-seen times). */
  times(stackId: string): Promise<Map<string, { createdAt: number; modifiedAt: number }>>
  replaceStack(
    stack: { id: string; org: string; project: string; name: string },
    resources: IndexedResource[],
  ): Promise<void>
  /** Also forgets the stack's place in the indexing queue. */
  deleteStack(stackId: string): Promise<void>
  /** Notes that a stack's latest state is now `version` and needs indexing (the queue row replaces any older one). */
  enqueue(stackId: string, version: number, at: number): Promise<void>
  /** The oldest queued stacks. */
  queued(limit: number): Promise<{ stackId: string; version: number }[]>
  /** Takes a stack off the queue, unless a newer version was queued meanwhile. */
  dequeue(stackId: string, version: number): Promise<void>
  search(request: SearchRequest): Promise<{ total: number; hits: SearchHit[] }>
  /** Refreshes the planner's statistics of the index (which of its indices a query should use). */
  analyze(): Promise<void>
}

type Eb = ExpressionBuilder<Database, 'search_resources'>

const COLUMN = {
  type: 'type',
  name: 'name',
  project: 'project',
  stack: 'stack',
  package: 'package',
  module: 'module',
  urn: 'urn',
  id: 'resource_id',
  modified: 'modified_at',
  created: 'created_at',
  protected: 'protected',
  custom: 'custom',
} as const

const INSERT_CHUNK = 500

// Substring matching goes through the dialect's trigram index: FTS5 on SQLite (the search_fts table), pg_trgm GIN
// indices on lower(column) on PostgreSQL (the same expression the LIKE uses).
const FTS_COLUMNS: ReadonlySet<string> = new Set(SQLITE_FTS_COLUMNS)

// A filter matching fewer rows than this is sorted after filtering; a broader one walks the sort order's index.
const SORT_AFTER_FILTER_MAX = 5000

export class SqlSearchIndexStore implements SearchIndexStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async times(stackId: string): Promise<Map<string, { createdAt: number; modifiedAt: number }>> {
    const rows = await this.db
      .selectFrom('search_resources')
      .select(['urn', 'created_at', 'modified_at'])
      .where('stack_id', '=', stackId)
      .execute()
    return new Map(
      rows.map((r) => [r.urn, { createdAt: Number(r.created_at), modifiedAt: Number(r.modified_at) }]),
    )
  }

  async replaceStack(
    stack: { id: string; org: string; project: string; name: string },
    resources: IndexedResource[],
  ): Promise<void> {
    // The stack's rows only: its queue row may already name a newer version, queued by a commit since the
    // indexer read the queue (dequeue, which matches the version, decides what leaves the queue).
    await this.db.deleteFrom('search_resources').where('stack_id', '=', stack.id).execute()
    for (let i = 0; i < resources.length; i += INSERT_CHUNK) {
      await this.db
        .insertInto('search_resources')
        .values(
          resources.slice(i, i + INSERT_CHUNK).map((r) => ({
            stack_id: stack.id,
            urn: r.urn,
            org: stack.org,
            project: stack.project,
            stack: stack.name,
            type: r.type,
            name: r.name,
            package: r.package,
            module: r.module,
            resource_id: r.id,
            custom: r.custom ? 1 : 0,
            protected: r.protected ? 1 : 0,
            parent_urn: r.parentUrn,
            provider_urn: r.providerUrn,
            dependencies: JSON.stringify(r.dependencies),
            created_at: r.createdAt,
            modified_at: r.modifiedAt,
          })),
        )
        .execute()
    }
  }

  async deleteStack(stackId: string): Promise<void> {
    await this.db.deleteFrom('search_resources').where('stack_id', '=', stackId).execute()
    await this.db.deleteFrom('search_index_queue').where('stack_id', '=', stackId).execute()
  }

  async analyze(): Promise<void> {
    // SQLite has no statistics until ANALYZE runs (then it picks e.g. the stack index over the type index for
    // `type:T stack:S`, and walks the sort order's index for a broad filter). About 1 s per 150,000 resources.
    await sql`analyze search_resources`.execute(this.db)
  }

  async enqueue(stackId: string, version: number, at: number): Promise<void> {
    await this.db
      .insertInto('search_index_queue')
      .values({ stack_id: stackId, version, queued_at: at })
      .onConflict((oc) => oc.column('stack_id').doUpdateSet({ version, queued_at: at }))
      .execute()
  }

  async queued(limit: number): Promise<{ stackId: string; version: number }[]> {
    const rows = await this.db
      .selectFrom('search_index_queue')
      .select(['stack_id', 'version'])
      .orderBy('queued_at')
      .orderBy('stack_id')
      .limit(limit)
      .execute()
    return rows.map((r) => ({ stackId: r.stack_id, version: Number(r.version) }))
  }

  async dequeue(stackId: string, version: number): Promise<void> {
    await this.db
      .deleteFrom('search_index_queue')
      .where('stack_id', '=', stackId)
      .where('version', '=', version)
      .execute()
  }

  async search(request: SearchRequest): Promise<{ total: number; hits: SearchHit[] }> {
    const matching = (indexable: boolean) =>
      this.db
        .selectFrom('search_resources')
        .where('org', '=', request.org)
        .where((eb) => eb.and(conditions(eb, request.terms, { dialect: this.dialect, indexable })))
    // Counting stops at `countUpTo`: a broad query need not visit every row of the organization for its total.
    const count = await this.db
      .selectFrom(matching(true).select('urn').limit(request.countUpTo).as('matched'))
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst()
    const total = Number(count?.n ?? 0)
    const column = COLUMN[request.sort]
    const direction = request.ascending ? 'asc' : 'desc'
    // The count tells which plan serves the page. A filter matching few rows drives through its own index and the
    // matches are sorted; ordering by an expression (same order: `|| ''` on text, `+ 0` on numbers) keeps the
    // planner off the (org, column) index. A broad filter is best checked row by row while walking that index
    // (the page fills early), so its conditions are made unindexable instead.
    const selective = request.terms.length > 0 && total <= SORT_AFTER_FILTER_MAX
    const orderBy = selective ? unindexed(column) : column
    const rows = await matching(selective)
      .selectAll()
      .orderBy(orderBy, direction)
      .orderBy('stack_id')
      .orderBy('urn')
      .offset(request.offset)
      .limit(request.limit)
      .execute()
    return {
      total,
      hits: rows.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        package: r.package,
        module: r.module,
        id: r.resource_id,
        custom: Number(r.custom) === 1,
        protected: Number(r.protected) === 1,
        parentUrn: r.parent_urn,
        providerUrn: r.provider_urn,
        dependencies: JSON.parse(r.dependencies) as string[],
        createdAt: Number(r.created_at),
        modifiedAt: Number(r.modified_at),
        project: r.project,
        stack: r.stack,
      })),
    }
  }
}

/**
 * All terms must hold, except that repeated positive terms of one field mean any of them; time comparisons always
 * all hold (`modified:>A modified:<B` is a range).
 */
interface Plan {
  dialect: Dialect
  /** False: written so that no index serves them (the plan walks the sort order's index instead). */
  indexable: boolean
}

const NUMERIC_COLUMNS: ReadonlySet<string> = new Set(['modified_at', 'created_at', 'custom', 'protected'])

/** The column as an expression no index serves, in the same order. */
function unindexed(column: string) {
  return NUMERIC_COLUMNS.has(column) ? sql`${sql.ref(column)} + 0` : sql`${sql.ref(column)} || ''`
}

function conditions(eb: Eb, terms: SearchTerm[], plan: Plan): Expression<SqlBool>[] {
  const out: Expression<SqlBool>[] = []
  const positives = new Map<string, Expression<SqlBool>[]>()
  for (const term of terms) {
    const condition = termCondition(eb, term, plan)
    if (term.negated) out.push(eb.not(condition))
    else if (term.kind === 'time') out.push(condition)
    else {
      const list = positives.get(term.field) ?? []
      list.push(condition)
      positives.set(term.field, list)
    }
  }
  for (const [field, list] of positives) {
    // Free-text words narrow the result each (Google-like); a repeated field widens it.
    if (field === 'any') out.push(...list)
    else out.push(eb.or(list))
  }
  return out
}

function termCondition(eb: Eb, term: SearchTerm, plan: Plan): Expression<SqlBool> {
  const ref = (column: string) => (plan.indexable ? sql.ref(column) : unindexed(column))
  switch (term.kind) {
    case 'flag':
      return eb(ref(COLUMN[term.field]), '=', term.value ? 1 : 0)
    case 'time':
      return eb(ref(COLUMN[term.field]), term.op, term.at)
    case 'text': {
      if (term.field === 'any')
        return contains(eb, 'urn', `%${likeEscaped(term.pattern.toLowerCase())}%`, plan)
      const column = COLUMN[term.field]
      if (!term.pattern.includes('*')) return eb(ref(column), '=', term.pattern)
      return contains(eb, column, likeEscaped(term.pattern.toLowerCase()).replaceAll('*', '%'), plan)
    }
  }
}

/** `lower(column) LIKE pattern` (pattern lower-cased), through the trigram index where there is one. */
function contains(eb: Eb, column: string, pattern: string, plan: Plan): Expression<SqlBool> {
  // The trigram index finds rare substrings at once but costs per match; a broad match is cheaper to check row
  // by row during the walk of the sort order's index, which stops at the page (the plan the count chose).
  if (plan.dialect === 'sqlite' && plan.indexable && FTS_COLUMNS.has(column)) {
    // FTS5's trigram LIKE is case-insensitive, as lower(…) LIKE is (search_fts, 0031-search-indices).
    return eb(
      sql`search_resources.rowid`,
      'in',
      sql`(select rowid from search_fts where ${sql.ref(`search_fts.${column}`)} like ${pattern})`,
    )
  }
  return eb(sql`lower(${sql.ref(column)})`, 'like', pattern)
}

// LIKE's own wildcards in user text match themselves (ESCAPE is not portable across dialects without a clause,
// so they are replaced by the single-character wildcard, a harmless widening).
function likeEscaped(text: string): string {
  return text.replaceAll('%', '_')
}
