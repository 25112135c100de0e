import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/load-config.js'
import { isConsoleRoute } from '../../src/console/console-route.js'

// The security contract of the route table: every route says how it authenticates and which CLI endpoint it is
// (createApp refuses a route that does not), only health probes are public, and exactly the calls the CLI makes
// with a lease token (protocol §1.7) take `update-token`.
describe('route table contract', () => {
  async function routeTable() {
    const parsed = loadConfig(
      ['-db=:memory:', `-master-key=${'cd'.repeat(32)}`, '-single-tenant-token=t'],
      {},
    )
    if (parsed.kind !== 'config') throw new Error('unexpected help')
    const app = await createApp(parsed.config)
    await app.close()
    return app.routes
  }

  it('every route has a unique CLI endpoint name', async () => {
    const routes = await routeTable()
    assert.ok(routes.length > 30, `only ${routes.length} routes`)
    // Fastify adds a HEAD twin for every GET; it shares the GET's name.
    const ids = routes.filter((r) => r.method !== 'HEAD' || r.url === '/api/stacks/:orgName/:projectName')
    // An unprovided feature's prefix is one route for every method: one name per URL.
    const endpoints = new Set(
      ids.map((r) => (r.operationId.startsWith('notProvided ') ? r.url : `${r.method} ${r.url}`)),
    )
    assert.equal(new Set(ids.map((r) => r.operationId)).size, endpoints.size)
  })

  it('only the health probes, metrics, the OpenAPI document and the console sign-in and assets are public', async () => {
    const open = (await routeTable())
      .filter((r) => r.auth === 'public' && r.method === 'GET')
      .map((r) => r.url)
    assert.deepEqual(open.sort(), [
      '/',
      '/api/openapi',
      '/console/assets/console.css',
      '/console/assets/console.js',
      '/healthz',
      '/metrics',
      '/readyz',
      '/signin',
    ])
  })

  it('console pages need a session, API routes never accept one', async () => {
    const routes = await routeTable()
    const publicConsole = new Set(['/signin', '/console/assets/console.css', '/console/assets/console.js'])
    for (const r of routes.filter((x) => isConsoleRoute(x.operationId) && !publicConsole.has(x.url))) {
      assert.equal(r.auth, 'session', `${r.method} ${r.url}`)
    }
    for (const r of routes.filter((x) => !isConsoleRoute(x.operationId))) {
      assert.notEqual(r.auth, 'session', `${r.method} ${r.url}`)
    }
  })

  it('takes update tokens exactly where the CLI sends them', async () => {
    const lease = (await routeTable())
      .filter((r) => r.auth === 'update-token')
      .map((r) => `${r.method} ${r.url.slice(r.url.indexOf(':updateId') + ':updateId'.length)}`)
      .sort()
    assert.deepEqual(lease, [
      'PATCH /checkpoint',
      'PATCH /checkpointdelta',
      'PATCH /checkpointverbatim',
      'PATCH /journalentries',
      'POST /complete',
      'POST /events/batch',
      'POST /renew_lease',
    ])
  })
})
