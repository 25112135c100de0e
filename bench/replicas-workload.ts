// Concurrency across 2 replicas (PostgreSQL only): two server processes on one database, N stacks each running a
// journaled create at once, requests spread over both. Two ways to spread them: `round-robin`, each request to the
// next replica (a plain balancer, nothing sticky: consecutive uploads of one update mostly land on the replica
// that did not take the last one, which then rebuilds its working state from the log), and `per-stack`, each
// update's requests to one replica (what a balancer hashing the stack path would do) for comparison.
import { type CallOptions, CliClient, type CliResponse } from '../test/support/cli-client.js'
import { RoundRobin } from '../test/support/round-robin.js'
import { type BenchServer, startServer } from './server.js'
import { Recorder } from './stats.js'
import { type ConcurrencyResult, concurrentCreates } from './workloads.js'

export type Spread = 'round-robin' | 'per-stack'

export interface ReplicaConcurrencyResult extends ConcurrencyResult {
  replicas: number
  spread: Spread
  /** Requests the round-robin client had to send again (a connection failure or a 5xx); 0 expected. */
  retries: number
}

/** Routes every request of one stack (`/api/stacks/{org}/{project}/{stack}…`) to the same replica. */
class PerStack extends CliClient {
  constructor(private readonly replicas: CliClient[]) {
    super(replicas[0]?.baseUrl ?? '', replicas[0]?.token ?? '')
  }

  override call<T = unknown>(method: string, path: string, options?: CallOptions): Promise<CliResponse<T>> {
    const stack = /^\/api\/stacks\/[^/]+\/[^/]+\/([^/?]+)/.exec(path)?.[1] ?? ''
    let hash = 0
    for (const char of stack) hash = (hash * 31 + char.charCodeAt(0)) >>> 0
    return (this.replicas[hash % this.replicas.length] as CliClient).call<T>(method, path, options)
  }
}

export async function replicaConcurrency(
  levels: number[],
  resources: number,
  spreads: Spread[] = ['round-robin', 'per-stack'],
  replicas = 2,
): Promise<ReplicaConcurrencyResult[]> {
  const out: ReplicaConcurrencyResult[] = []
  for (const spread of spreads) {
    for (const stacks of levels) {
      const first = await startServer()
      const servers: BenchServer[] = [first]
      try {
        for (let i = 1; i < replicas; i++) servers.push(await startServer([], first))
        const clients = servers.map((s) => s.client)
        const client = spread === 'round-robin' ? new RoundRobin(() => clients) : new PerStack(clients)
        const result = await concurrentCreates(
          () => new Recorder(client, false),
          stacks,
          resources,
          () => servers.reduce((sum, s) => sum + s.rssBytes(), 0),
          `r${spread[0]}${stacks}`,
        )
        const retries =
          client instanceof RoundRobin ? client.retries.connection + client.retries.status5xx : 0
        out.push({ ...result, replicas, spread, retries })
      } catch (error) {
        for (const s of servers) console.error(s.logs())
        throw error
      } finally {
        await Promise.all(servers.map((s) => s.stop()))
      }
    }
  }
  return out
}
