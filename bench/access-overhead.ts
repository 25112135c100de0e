// What access control and the audit log add per request: the decision function timed in-process against a
// realistic policy, and the server's own handling time (Server-Timing median) of an audited secrets route
// (encrypt), an audited stack change (tags: the change and its event in one transaction), an authorized read
// (getStack) and an unaudited journal batch, with the audit log on and off.
import type { UserPrincipal } from '../src/identity/principal.js'
import { authorize } from '../src/rbac/authorize.js'
import { parseRbacConfig } from '../src/rbac/rbac-config.js'
import type { BenchServer } from './server.js'
import { Recorder } from './stats.js'
import { createStack, journaledCreate, makeStack } from './workloads.js'

const POLICY = parseRbacConfig(`
defaultPermission: read
groupRoles:
  - { group: developers, permission: write }
  - { group: ops, permission: admin }
stackPolicies:
${Array.from({ length: 20 }, (_, i) => `  - { group: team-${i}, stackPattern: "acme/p${i}/*", permission: admin }`).join('\n')}
  - { group: developers, stackPattern: "*/*/prod", permission: write, effect: deny }
`)

export function authorizeMicros(n = 200_000): number {
  const principal: UserPrincipal = {
    kind: 'user',
    login: 'dave',
    displayName: 'dave',
    groups: ['developers', 'team-3', 'team-7'],
    method: 'jwt',
    tokenId: undefined,
    tokenName: undefined,
    organization: undefined,
    admin: false,
  }
  const resource = { org: 'acme', project: 'p7', stack: 'prod' }
  for (let i = 0; i < 10_000; i++) authorize(POLICY, principal, 'stack:write', resource)
  const start = performance.now()
  for (let i = 0; i < n; i++) authorize(POLICY, principal, 'stack:write', resource)
  return ((performance.now() - start) * 1000) / n
}

export interface RouteMedians {
  encryptMs: number
  tagsMs: number
  getStackMs: number
  journalBatchMs: number
}

const median = (values: number[] = []) => {
  const sorted = [...values].sort((a, b) => a - b)
  return Math.round((sorted[Math.floor(sorted.length / 2)] ?? 0) * 1000) / 1000
}

export async function routeMedians(server: BenchServer, requests: number): Promise<RouteMedians> {
  const model = makeStack({ org: 'acme', project: 'bench', stack: 'access' }, 100)
  const rec = new Recorder(server.client, false)
  await createStack(rec, model.stack)
  const base = '/api/stacks/acme/bench/access'
  for (let i = 0; i < requests; i++) {
    await rec.call('encrypt', 'POST', `${base}/encrypt`, {
      body: { plaintext: Buffer.from(`v${i}`).toString('base64') },
    })
    await rec.call('tags', 'PATCH', `${base}/tags`, { body: { round: String(i) } })
    await rec.call('getStack', 'GET', base)
  }
  await journaledCreate(rec, model)
  const journal = [...rec.serverSamples.entries()].find(([kind]) => /journal/i.test(kind))?.[1]
  return {
    encryptMs: median(rec.serverSamples.get('encrypt')),
    tagsMs: median(rec.serverSamples.get('tags')),
    getStackMs: median(rec.serverSamples.get('getStack')),
    journalBatchMs: median(journal),
  }
}
