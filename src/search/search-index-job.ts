import type { Job } from '../jobs/job-scheduler.js'
import type { SearchService } from './search-service.js'

export const SEARCH_INDEX_JOB = 'search-index'
// Other replicas' commits cannot kick the leader's job: it looks at the queue this often as well.
const POLL_MS = 1000

/** Drains the search indexing queue on the JobScheduler: kicked after each commit that queued a stack. */
export function searchIndexJob(search: SearchService): Job {
  return {
    name: SEARCH_INDEX_JOB,
    intervalMs: POLL_MS,
    // Stacks queued before a crash or restart are indexed at start.
    atStart: true,
    async run(stopping) {
      while (!stopping.aborted && (await search.indexQueued()) > 0) {}
    },
  }
}
