// Console workload: the pages a person opens on a big server — the stacks page with N stacks and a stack of M
// resources (overview, dependency graph, history, diff) — measured as server time (Server-Timing) and page weight.
import { gzipSync } from 'node:zlib'
import { deploymentWith, stackResource } from '../test/support/state.js'
import { type StackId, stackPath } from '../test/support/update-driver.js'
import { type BenchServer, withServer } from './server.js'

export interface ConsolePageResult {
  page: string
  /** Median server time over the samples (ms, Server-Timing `app`). */
  serverMs: number
  /** Median time to the last byte on loopback (ms). */
  totalMs: number
  htmlBytes: number
  gzipBytes: number
}

export interface ConsoleResult {
  stacks: number
  resources: number
  pages: ConsolePageResult[]
}

const SAMPLES = 5

export async function consoleWorkload(stacks: number, resources: number): Promise<ConsoleResult> {
  return withServer([], async (server) => {
    const big: StackId = { org: 'acme', project: 'console', stack: 'big' }
    await server.client.call('POST', `/api/stacks/${big.org}/${big.project}`, {
      body: { stackName: big.stack },
    })
    await server.client.call('POST', `${stackPath(big)}/import`, {
      body: bigDeployment(big, resources),
      gzip: true,
    })
    await server.client.call('POST', `${stackPath(big)}/import`, {
      body: bigDeployment(big, resources, 'v2'),
      gzip: true,
    })
    let next = 0
    const worker = async () => {
      for (let i = next++; i < stacks - 1; i = next++) {
        await server.client.call('POST', '/api/stacks/acme/fleet', {
          body: { stackName: `s${i}`, tags: { team: `t${i % 10}` } },
        })
      }
    }
    await Promise.all([worker(), worker(), worker(), worker()])
    const base = `/${big.org}/${big.project}/${big.stack}`
    const pages: ConsolePageResult[] = []
    for (const [name, path] of [
      [`stacks (${stacks})`, '/stacks'],
      ['stacks filtered by tag', '/stacks?tag=team%3Dt3'],
      [`stack (${resources} resources)`, base],
      ['dependency graph', `${base}/graph`],
      ['history', `${base}/updates`],
      ['diff v1→v2', `${base}/diff?from=1&to=2`],
    ] as const) {
      pages.push(await measure(server, name, path))
    }
    return { stacks, resources, pages }
  })
}

async function measure(server: BenchServer, name: string, path: string): Promise<ConsolePageResult> {
  const server_: number[] = []
  const total: number[] = []
  let html = ''
  for (let i = 0; i < SAMPLES; i++) {
    const start = performance.now()
    const response = await fetch(`${server.url}${path}`, {
      headers: { cookie: `pb_session=${encodeURIComponent(server.token)}`, 'accept-encoding': 'identity' },
    })
    html = await response.text()
    total.push(performance.now() - start)
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${html.slice(0, 200)}`)
    const timing = /dur=([0-9.]+)/.exec(response.headers.get('server-timing') ?? '')
    server_.push(Number(timing?.[1] ?? Number.NaN))
  }
  const bytes = Buffer.from(html)
  return {
    page: name,
    serverMs: round(median(server_)),
    totalMs: round(median(total)),
    htmlBytes: bytes.length,
    gzipBytes: gzipSync(bytes, { level: 6 }).length,
  }
}

/** `count` resources under the root, each depending on the one before it (a chain the graph has to lay out). */
function bigDeployment(stack: StackId, count: number, tag = 'v1') {
  const root = stackResource(stack.project, stack.stack, { url: 'https://example.test' })
  const prefix = `urn:pulumi:${stack.stack}::${stack.project}::aws:s3/bucket:Bucket::b`
  const resources = Array.from({ length: count }, (_, i) => ({
    urn: `${prefix}${i}`,
    custom: true,
    type: 'aws:s3/bucket:Bucket',
    id: `bucket-${i}`,
    parent: root.urn,
    dependencies: i > 0 && i % 5 !== 0 ? [`${prefix}${i - 1}`] : [],
    inputs: { acl: 'private', tags: { n: String(i), tag } },
    outputs: { arn: `arn:aws:s3:::bucket-${i}`, tags: { n: String(i), tag } },
  }))
  return deploymentWith([root, ...resources])
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

function round(n: number): number {
  return Math.round(n * 10) / 10
}
