// The `search` workload: 1,000 stacks × 150 resources (the eks fixture imported into each), then typical resource
// search queries, each repeated, timed end to end and by the server (Server-Timing). Figures only.
import { type StackId, stackPath } from '../test/support/update-driver.js'
import { scaledState } from './exports.js'
import { withServer } from './server.js'
import { type KindStats, Recorder } from './stats.js'
import { createStack } from './workloads.js'

export interface SearchResult {
  stacks: number
  resources: number
  indexMs: number
  queries: { query: string; total: number; client: KindStats; server: KindStats }[]
}

export const SEARCH_QUERIES = [
  '',
  'type:aws:ec2/securityGroup:SecurityGroup',
  'type:aws:iam/role:Role stack:s500',
  'package:eks -type:eks:index:ServiceRole',
  'name:*instanceRole*',
  'instanceRole',
  'modified:>2024-10-28 protected:false',
  'project:search type:aws:eks/addon:Addon -stack:s1',
] as const

export async function searchWorkload(stacks: number, repeats: number): Promise<SearchResult> {
  return withServer([], async (server) => {
    const { text, resources } = scaledState({ count: 150 })
    const rec = new Recorder(server.client, false)
    let next = 0
    const start = performance.now()
    const worker = async () => {
      for (let i = next++; i < stacks; i = next++) {
        const stack: StackId = { org: 'acme', project: 'search', stack: `s${i}` }
        await createStack(rec, stack)
        await rec.call('import', 'POST', `${stackPath(stack)}/import`, { rawBody: text, gzip: true })
      }
    }
    await Promise.all([worker(), worker(), worker(), worker()])
    // Indexing is a background job behind the imports: done when every stack's root resources are searchable (the
    // fixture holds two pulumi:pulumi:Stack resources, so waiting for one per stack stopped at half the stacks and
    // timed the queries against a half-built index).
    const roots = stackRoots(text)
    for (;;) {
      const indexed = await rec.call<{ total: number }>(
        'index-wait',
        'GET',
        '/api/orgs/acme/search/resourcesv2?query=type:pulumi:pulumi:Stack&size=1',
      )
      if (indexed.body.total >= Math.min(stacks * roots, 10_000)) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const indexMs = Math.round(performance.now() - start)
    const queries: SearchResult['queries'] = []
    for (const query of SEARCH_QUERIES) {
      const kind = `q:${query}`
      let total = 0
      for (let i = 0; i < repeats; i++) {
        const answer = await rec.call<{ total: number }>(
          kind,
          'GET',
          `/api/orgs/acme/search/resourcesv2?query=${encodeURIComponent(query)}&size=100`,
        )
        total = answer.body.total
      }
      queries.push({
        query,
        total,
        client: rec.stats()[kind] as KindStats,
        server: rec.serverStats()[kind] as KindStats,
      })
    }
    return { stacks, resources, indexMs, queries }
  })
}

/** How many pulumi:pulumi:Stack resources one stack's state holds. */
function stackRoots(text: Buffer | string): number {
  const parsed = JSON.parse(text.toString()) as { deployment?: { resources?: { type: string }[] } }
  return (parsed.deployment?.resources ?? []).filter((r) => r.type === 'pulumi:pulumi:Stack').length
}
