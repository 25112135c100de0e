import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from 'kysely'
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
  deleteStack(stackId: string): Promise<void>
  search(request: SearchRequest): Promise<{ total: number; hits: SearchHit[] }>
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

export class SqlSearchIndexStore implements SearchIndexStore {
  constructor(private readonly db: Kysely<Database>) {}

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
    await this.deleteStack(stack.id)
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
  }

  async search(request: SearchRequest): Promise<{ total: number; hits: SearchHit[] }> {
    const filtered = this.db
      .selectFrom('search_resources')
      .where('org', '=', request.org)
      .where((eb) => eb.and(conditions(eb, request.terms)))
    // Counting stops at `countUpTo`: a broad query need not visit every row of the organization for its total.
    const count = await this.db
      .selectFrom(filtered.select('urn').limit(request.countUpTo).as('matched'))
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst()
    const column = COLUMN[request.sort]
    const direction = request.ascending ? 'asc' : 'desc'
    // A selective filter should drive the plan through its own index; ordering by the bare column would let the
    // planner pick the (org, column) index instead and walk the whole organization in order. Ordering by an
    // expression (same order, `|| ''` on text) rules that index out; unfiltered listings keep it.
    const selective = request.terms.some(
      (t) => !t.negated && t.kind === 'text' && t.field !== 'any' && !t.pattern.includes('*'),
    )
    const textual = column !== 'modified_at' && column !== 'created_at'
    const orderBy =
      selective && textual ? sql`${sql.ref(column)} || ''` : selective ? sql`${sql.ref(column)} + 0` : column
    const rows = await filtered
      .selectAll()
      .orderBy(orderBy, direction)
      .orderBy('stack_id')
      .orderBy('urn')
      .offset(request.offset)
      .limit(request.limit)
      .execute()
    return {
      total: Number(count?.n ?? 0),
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
function conditions(eb: Eb, terms: SearchTerm[]): Expression<SqlBool>[] {
  const out: Expression<SqlBool>[] = []
  const positives = new Map<string, Expression<SqlBool>[]>()
  for (const term of terms) {
    const condition = termCondition(eb, term)
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

function termCondition(eb: Eb, term: SearchTerm): Expression<SqlBool> {
  switch (term.kind) {
    case 'flag':
      return eb(COLUMN[term.field], '=', term.value ? 1 : 0)
    case 'time':
      return eb(COLUMN[term.field], term.op, term.at)
    case 'text': {
      if (term.field === 'any')
        return eb(sql`lower(urn)`, 'like', `%${likeEscaped(term.pattern.toLowerCase())}%`)
      const column = COLUMN[term.field]
      if (!term.pattern.includes('*')) return eb(column, '=', term.pattern)
      return eb(
        sql`lower(${sql.ref(column)})`,
        'like',
        likeEscaped(term.pattern.toLowerCase()).replaceAll('*', '%'),
      )
    }
  }
}

// LIKE's own wildcards in user text match themselves (ESCAPE is not portable across dialects without a clause,
// so they are replaced by the single-character wildcard, a harmless widening).
function likeEscaped(text: string): string {
  return text.replaceAll('%', '_')
}
