import type { Store } from '../db/store.js'
import { InvalidError, NotFoundError } from '../errors.js'
import type { Clock } from '../lib/clock.js'
import type { Stack } from '../stacks/stack.js'
import type { StackEvent, StackEventSink } from '../stacks/stack-events.js'
import { type IndexedResource, resourcesOfState } from './resource-index.js'
import type { SearchHit, SortField } from './search-index-store.js'
import { parseSearchQuery } from './search-query.js'

export interface SearchParams {
  query?: string | undefined
  page?: string | undefined
  size?: string | undefined
  sort?: string | undefined
  asc?: string | undefined
}

/** ResourceResult as the Cloud answers it (Pulumi's spec; sdk/go/common/apitype/search.go). */
export interface ResourceResult {
  created: string
  modified: string
  custom: boolean
  delete: boolean
  dependencies: string[]
  id: string
  module: string
  name: string
  package: string
  parent_urn: string
  provider_urn: string
  project: string
  protected: boolean
  stack: string
  type: string
  urn: string
}

export interface SearchAnswer {
  total: number
  resources: ResourceResult[]
  pagination: { previous?: string; next?: string }
}

const SORTS: readonly SortField[] = [
  'type',
  'name',
  'project',
  'stack',
  'package',
  'module',
  'urn',
  'id',
  'modified',
  'created',
]
const DEFAULT_SIZE = 100
const MAX_SIZE = 500
// The Cloud pages through the first 10,000 results this way (pulumi/docs resource-search reference); totals are
// counted up to there too (OpenSearch, behind the Cloud's search, counts hits exactly up to 10,000 by default).
const MAX_WINDOW = 10_000

// Stacks indexed per pass of the indexing job (each in its own short transaction).
const INDEX_BATCH = 20
// The planner's statistics are refreshed once indexing is idle, at most this often.
const ANALYZE_EVERY_MS = 60_000

/**
 * Resource search over the latest state of every stack of an organization. A new state version only queues its
 * stack (a row written in the transaction that stores the version, so nothing is lost on a crash); the indexing
 * job (`indexQueued`, on the JobScheduler) takes it in shortly after: search is eventually consistent.
 */
export class SearchService implements StackEventSink {
  constructor(
    private readonly deps: {
      store: Store
      clock: Clock
      isKnownOrg: (org: string) => boolean
      /** A stack's deployment text at a version (the state service and its cache). */
      stateText: (stackId: string, version: number) => Promise<Buffer>
      /** Told after a commit that queued a stack (the indexing job starts at once). */
      onQueued?: () => void
    },
  ) {}

  #analyzedAt = Number.NEGATIVE_INFINITY
  /** Stacks were indexed since the statistics were last refreshed. */
  #dirty = true

  /** Queues a stack whose latest version is new, in the transaction that stores it. */
  async indexVersion(tx: Store, stack: Stack, version: number): Promise<void> {
    await tx.searchIndex.enqueue(stack.id, version, this.deps.clock.now())
    const onQueued = this.deps.onQueued
    if (onQueued) tx.afterCommit(onQueued)
  }

  /**
   * One pass of the indexing job: re-indexes the oldest queued stacks; returns how many it took in. A pass that
   * finds the queue empty after indexing refreshes the planner's statistics (at most once a minute; a bad plan
   * on stale statistics costs seconds at 150,000 resources, ANALYZE about one).
   */
  async indexQueued(): Promise<number> {
    const { store, clock } = this.deps
    const queued = await store.searchIndex.queued(INDEX_BATCH)
    if (queued.length === 0 && this.#dirty && clock.now() - this.#analyzedAt >= ANALYZE_EVERY_MS) {
      this.#analyzedAt = clock.now()
      this.#dirty = false
      await store.searchIndex.analyze()
    }
    if (queued.length > 0) this.#dirty = true
    for (const { stackId, version } of queued) {
      // Read outside the transaction: decompressing a large state should not hold the database.
      const stack = await store.stacks.findById(stackId)
      const text =
        stack && stack.version === version ? await this.deps.stateText(stackId, version) : undefined
      await store.transaction(async (tx) => {
        if (!stack) {
          // Deleted since: its rows (and queue row) go.
          await tx.searchIndex.deleteStack(stackId)
          return
        }
        if (text) {
          const previous = await tx.searchIndex.times(stack.id)
          let resources: IndexedResource[]
          try {
            resources = resourcesOfState(text, previous, clock.now())
          } catch {
            // A state search cannot read leaves the stack out of results instead of blocking the queue.
            resources = []
          }
          await tx.searchIndex.replaceStack(stack, resources)
        }
        // A newer version queued meanwhile keeps its row (dequeue matches the version) and is indexed next.
        await tx.searchIndex.dequeue(stackId, version)
      })
    }
    return queued.length
  }

  /** A deleted stack leaves the index (and the queue) with it. */
  async onStackEvent(tx: Store, event: StackEvent): Promise<void> {
    if (event.kind === 'stack_deleted') await tx.searchIndex.deleteStack(event.stack.id)
  }

  async search(org: string, params: SearchParams, path: string): Promise<SearchAnswer> {
    if (!this.deps.isKnownOrg(org)) {
      throw new NotFoundError(`Not Found: organization '${org}' does not exist on this server`)
    }
    const terms = parseSearchQuery(params.query ?? '')
    const page = positive('page', params.page, 1)
    const size = positive('size', params.size, DEFAULT_SIZE)
    if (size > MAX_SIZE) throw new InvalidError(`Bad Request: size must be at most ${MAX_SIZE}`)
    if (page * size > MAX_WINDOW) {
      throw new InvalidError(
        `Bad Request: pages reach the first ${MAX_WINDOW} results only; narrow the query`,
      )
    }
    const sort = (params.sort ?? 'urn') as SortField
    if (!SORTS.includes(sort)) {
      throw new InvalidError(
        `Bad Request: cannot sort by '${params.sort}'; sort by one of ${SORTS.join(', ')}`,
      )
    }
    if (params.asc !== undefined && params.asc !== 'true' && params.asc !== 'false') {
      throw new InvalidError(`Bad Request: asc must be true or false, not '${params.asc}'`)
    }
    const ascending =
      params.asc === undefined ? sort !== 'modified' && sort !== 'created' : params.asc === 'true'
    const { total, hits } = await this.deps.store.searchIndex.search({
      org,
      terms,
      sort,
      ascending,
      offset: (page - 1) * size,
      limit: size,
      countUpTo: MAX_WINDOW,
    })
    const link = (to: number) => {
      const query = new URLSearchParams({ ...definedOf(params), page: String(to), size: String(size) })
      return `${path}?${query.toString()}`
    }
    return {
      total,
      resources: hits.map(toResult),
      pagination: {
        ...(page > 1 && { previous: link(page - 1) }),
        ...(page * size < total && page * size < MAX_WINDOW && { next: link(page + 1) }),
      },
    }
  }
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback
  if (!/^[0-9]+$/.test(text) || Number(text) < 1) {
    throw new InvalidError(`Bad Request: ${name} must be a positive whole number, not '${text}'`)
  }
  return Number(text)
}

function definedOf(params: SearchParams): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >
}

function toResult(hit: SearchHit): ResourceResult {
  return {
    created: new Date(hit.createdAt).toISOString(),
    modified: new Date(hit.modifiedAt).toISOString(),
    custom: hit.custom,
    delete: false,
    dependencies: hit.dependencies,
    id: hit.id,
    module: hit.module,
    name: hit.name,
    package: hit.package,
    parent_urn: hit.parentUrn,
    provider_urn: hit.providerUrn,
    project: hit.project,
    protected: hit.protected,
    stack: hit.stack,
    type: hit.type,
    urn: hit.urn,
  }
}
