// Export of large fixture states (issue #4 workload 3) and the stored-stacks memory workload (workload 6).
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { gunzipSync } from 'node:zlib'

type Json = Record<string, unknown>

const FIXTURE = new URL('../test/fixtures/states/eks-cluster-3.0.0.json', import.meta.url)

/** The fixture's deployment resources (149 resources, 437 KB compact). */
function fixture(): { deployment: Json; resources: Json[] } {
  const parsed = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { deployment: Json & { resources: Json[] } }
  return { deployment: parsed.deployment, resources: parsed.deployment.resources }
}

/** `urn:…::name` → `urn:…::name-c<k>` (copy 0 keeps its names). */
const renameUrn = (urn: string, copy: number) => (copy === 0 ? urn : `${urn}-c${copy}`)

/**
 * Copy `copy` of the fixture's resources with every resource name rewritten consistently: URNs, parents,
 * dependencies, propertyDependencies and provider references (`<urn>::<id>`) that point into the fixture.
 */
function renamedCopy(resources: Json[], urns: Set<string>, copy: number): Json[] {
  if (copy === 0) return resources
  const rewrite = (value: unknown): unknown => {
    if (typeof value === 'string') {
      if (urns.has(value)) return renameUrn(value, copy)
      const sep = value.lastIndexOf('::')
      if (sep > 0 && urns.has(value.slice(0, sep)))
        return `${renameUrn(value.slice(0, sep), copy)}${value.slice(sep)}`
      return value
    }
    return value
  }
  return resources.map((r) => {
    const out: Json = { ...r, urn: rewrite(r.urn) }
    if (typeof r.parent === 'string') out.parent = rewrite(r.parent)
    if (typeof r.provider === 'string') out.provider = rewrite(r.provider)
    if (Array.isArray(r.dependencies)) out.dependencies = r.dependencies.map(rewrite)
    if (r.propertyDependencies && typeof r.propertyDependencies === 'object') {
      const deps: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(r.propertyDependencies as Record<string, unknown>))
        deps[k] = Array.isArray(v) ? v.map(rewrite) : v
      out.propertyDependencies = deps
    }
    return out
  })
}

/**
 * An untyped deployment (`{"version":3,"deployment":…}`, compact JSON) of about `targetBytes`, made of the
 * eks-cluster fixture repeated with rewritten names (the last copy cut short), or of `count` resources exactly.
 */
export function scaledState(target: { bytes: number } | { count: number }): {
  text: Buffer
  resources: number
} {
  const { deployment, resources } = fixture()
  const urns = new Set(resources.map((r) => String(r.urn)))
  const sizes = resources.map((r) => Buffer.byteLength(JSON.stringify(r)) + 1)
  const out: Json[] = []
  let bytes = 200
  for (let copy = 0; ; copy++) {
    const copyResources = renamedCopy(resources, urns, copy)
    for (let i = 0; i < copyResources.length; i++) {
      if ('bytes' in target ? bytes >= target.bytes : out.length >= target.count) {
        const text = Buffer.from(
          JSON.stringify({ version: 3, deployment: { ...deployment, resources: out } }),
        )
        return { text, resources: out.length }
      }
      out.push(copyResources[i] as Json)
      bytes += sizes[i] ?? 0
    }
  }
}

export interface RawGet {
  /** Request sent → last byte received (no decompression, no JSON parse). */
  ms: number
  /** The server's own handling time (Server-Timing app;dur). */
  serverMs: number | undefined
  wireBytes: number
  encoding: string
  body: Buffer
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 })

/** A GET timed to the response's last byte, on a kept-alive connection, with or without Accept-Encoding gzip. */
export function rawGet(baseUrl: string, token: string, path: string, gzip: boolean): Promise<RawGet> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      Accept: 'application/vnd.pulumi+9',
      Authorization: `token ${token}`,
      'User-Agent': 'pulumi-cli/1 (v3.200.0; linux; cmd=stack-export)',
    }
    if (gzip) headers['Accept-Encoding'] = 'gzip'
    const start = performance.now()
    const req = request(new URL(path, baseUrl), { method: 'GET', headers, agent }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => {
        const ms = performance.now() - start
        if ((res.statusCode ?? 0) >= 400) {
          reject(new Error(`GET ${path}: ${res.statusCode}`))
          return
        }
        const body = Buffer.concat(chunks)
        const timing = /app;dur=([0-9.]+)/.exec(String(res.headers['server-timing'] ?? ''))
        resolve({
          ms: Math.round(ms * 100) / 100,
          serverMs: timing ? Number(timing[1]) : undefined,
          wireBytes: body.length,
          encoding: String(res.headers['content-encoding'] ?? 'identity'),
          body,
        })
      })
    })
    req.on('error', reject)
    req.end()
  })
}

/** Client-side cost after the last byte: gunzip (when gzip) and JSON.parse, timed separately. */
export function decodeCost(r: RawGet): { gunzipMs: number; parseMs: number } {
  const t0 = performance.now()
  const text = r.encoding === 'gzip' ? gunzipSync(r.body) : r.body
  const t1 = performance.now()
  JSON.parse(text.toString('utf8'))
  const t2 = performance.now()
  return { gunzipMs: Math.round((t1 - t0) * 100) / 100, parseMs: Math.round((t2 - t1) * 100) / 100 }
}

export function closeRawAgent(): void {
  agent.destroy()
}
