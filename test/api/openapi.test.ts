// GET /api/openapi (issue 12 part 3): generated from the routes, complete, and committed as docs/openapi.json.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { isConsoleRoute } from '../../src/console/console-route.js'
import { routeTemplate } from '../../src/http/route-template.js'
import { isUnprovidedFeatureRoute } from '../../src/http/unprovided-features.js'
import { type TestServer, useTestServer } from '../support/test-server.js'

interface Operation {
  operationId: string
  parameters?: { in: string; name: string; required?: boolean }[]
  requestBody?: { content: Record<string, { schema: unknown }> }
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>
  security: Record<string, string[]>[]
}
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> }

// POST routes that take no body at all (the CLI sends an empty one).
const BODYLESS_POSTS = new Set([
  'cancelUpdate',
  'createBackup',
  // ESC: open and check take only the path (and a duration query).
  'OpenEnvironment_esc_environments',
  'OpenEnvironment_esc_environments_versions',
  'CheckEnvironment_esc_environments',
  'CheckEnvironment_esc_environments_versions',
  'pingOrganizationWebhook',
  'pingStackWebhook',
  'redeliverOrganizationWebhookEvent',
  'redeliverStackWebhookEvent',
  'pingEnvironmentWebhook',
  'redeliverEnvironmentWebhookEvent',
])

describe('OpenAPI document', () => {
  let server: TestServer
  let served: Document
  useTestServer({}, async (started) => {
    server = started
    const response = await fetch(`${started.url}/api/openapi`)
    assert.equal(response.status, 200)
    served = (await response.json()) as Document
  })

  it('is served without credentials, as OpenAPI 3.0', () => {
    assert.equal(served.openapi, '3.0.3')
  })

  it('matches the committed docs/openapi.json (after changing routes, run `npm run openapi`)', () => {
    const committed = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8'))
    assert.deepEqual(served, committed, 'docs/openapi.json is stale: run `npm run openapi` and commit it')
  })

  it('documents every route with its operationId, parameters, body, answer, error body and auth', () => {
    // Unprovided-feature prefixes are explanations, not API (src/http/unprovided-features.ts).
    const routes = server.app.routes.filter(
      (r) =>
        (r.method !== 'HEAD' || !server.app.routes.some((g) => g.method === 'GET' && g.url === r.url)) &&
        !isUnprovidedFeatureRoute(r.operationId) &&
        !isConsoleRoute(r.operationId),
    )
    for (const route of routes) {
      const path = routeTemplate(route.url)
      const where = `${route.method} ${path}`
      const operation = served.paths[path]?.[route.method.toLowerCase()]
      assert.ok(operation, `${where} is missing`)
      assert.equal(operation.operationId, route.operationId, where)

      for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
        const parameter = operation.parameters?.find((p) => p.in === 'path' && p.name === name)
        assert.ok(parameter?.required, `${where}: path parameter ${name}`)
      }
      const takesBody =
        route.method === 'PATCH' || (route.method === 'POST' && !BODYLESS_POSTS.has(route.operationId))
      assert.equal(operation.requestBody !== undefined, takesBody, `${where}: request body documented`)

      const ok = operation.responses['200']
      assert.ok(
        ok,
        `${where}: no 200 answer: add ${route.operationId} to ROUTE_DOCS (src/http/route-docs.ts)`,
      )
      if (route.method !== 'HEAD') assert.ok(ok.content, `${where}: 200 answer without a schema`)
      for (const status of ['4XX', '5XX']) {
        const schema: unknown = operation.responses[status]?.content?.['application/json']?.schema
        assert.deepEqual(schema, { $ref: '#/components/schemas/ErrorResponse' }, `${where} ${status}`)
      }
      const expected = {
        public: [],
        session: [],
        token: [{ accessToken: [] }],
        'update-token': [{ updateToken: [] }],
      }[route.auth]
      assert.deepEqual(operation.security, expected, `${where}: security`)
    }
  })
})
