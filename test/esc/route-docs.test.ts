// The ESC routes and their documentation (src/esc/esc-route-docs.ts) agree: every route is documented under a
// unique operationId, and every documented answer is what the server really sends, field for field.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TSchema } from 'typebox'
import { Value } from 'typebox/value'
import { ESC_ROUTE_DOCS } from '../../src/esc/esc-route-docs.js'
import type { CliClient } from '../support/cli-client.js'
import { type TestServer, useTestServer } from '../support/test-server.js'

/** ESC API routes; unprovided-feature prefixes (`notProvided …`) are explanations, not API, and not documented. */
// Environment webhooks live under /api/esc/ but are documented and checked with the other webhooks
// (src/http/route-docs.ts, test/api/openapi-responses.test.ts).
const isApi = (r: { url: string; method: string; operationId: string }) =>
  r.url.startsWith('/api/esc/') &&
  !r.url.includes('/hooks') &&
  r.method !== 'HEAD' &&
  !r.operationId.startsWith('notProvided ')

/** Object fields the schema does not declare (where it declares its fields), as paths. */
function undocumented(schema: Record<string, unknown>, value: unknown, path = ''): string[] {
  if (Array.isArray(value)) {
    const items = schema.items as Record<string, unknown> | undefined
    return items ? value.flatMap((v, i) => undocumented(items, v, `${path}[${i}]`)) : []
  }
  if (typeof value !== 'object' || value === null) return []
  const anyOf = schema.anyOf as Record<string, unknown>[] | undefined
  if (anyOf) {
    const fits = anyOf.find((s) => Value.Check(s as TSchema, value))
    return fits ? undocumented(fits, value, path) : []
  }
  const properties = schema.properties as Record<string, Record<string, unknown>> | undefined
  const pattern = schema.patternProperties as Record<string, Record<string, unknown>> | undefined
  const out: string[] = []
  for (const [key, field] of Object.entries(value)) {
    const declared = properties?.[key] ?? (pattern && Object.values(pattern)[0])
    if (declared) out.push(...undocumented(declared, field, `${path}.${key}`))
    else if (properties && schema.additionalProperties !== true) out.push(`${path}.${key}`)
  }
  return out
}

describe('ESC route documentation', () => {
  let server: TestServer
  let cli: CliClient
  useTestServer({}, (s) => {
    server = s
    cli = s.client
  })

  it('documents every ESC route under its own operationId, and nothing else', () => {
    const routes = server.app.routes.filter(isApi)
    const ids = routes.map((r) => r.operationId)
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique')
    assert.deepEqual([...ids].sort(), Object.keys(ESC_ROUTE_DOCS).sort())
  })

  it('answers what the documentation says', async () => {
    const checked = new Set<string>()
    const check = (operationId: string, body: unknown, raw?: string) => {
      checked.add(operationId)
      const doc = ESC_ROUTE_DOCS[operationId]
      assert.ok(doc, `${operationId} is documented`)
      const value = doc.produces ? raw : body
      const errors = [...Value.Errors(doc.response, value)].map((e) => `${e.instancePath} ${e.message}`)
      assert.deepEqual(errors, [], `${operationId}: answer does not match its schema`)
      assert.deepEqual(
        undocumented(doc.response as Record<string, unknown>, value),
        [],
        `${operationId}: undocumented fields`,
      )
    }
    const call = async (
      operationId: string,
      method: string,
      path: string,
      options: Parameters<CliClient['call']>[2] = {},
    ) => {
      const response = await cli.call(method, path, options)
      check(operationId, response.body ?? {}, response.raw.toString('utf8'))
      return response.body as Record<string, unknown>
    }
    const ENVS = '/api/esc/environments/acme'
    const ENV = `${ENVS}/docs/env`
    const yaml = (text: string) => ({ rawBody: Buffer.from(text) })
    await call('CreateEnvironment_esc_environments', 'POST', ENVS, { body: { project: 'docs', name: 'env' } })
    await call('CreateEnvironment_esc_environments', 'POST', ENVS, {
      body: { project: 'docs', name: 'base' },
    })
    await cli.call('PATCH', `${ENVS}/docs/base`, yaml('values:\n  b: 1\n'))
    await call(
      'UpdateEnvironment_esc_environments',
      'PATCH',
      ENV,
      yaml('imports:\n  - docs/base\nvalues:\n  a: x\n  s:\n    fn::secret: p\n'),
    )
    await call('ListEnvironments_esc', 'GET', '/api/esc/environments')
    await call('ListOrgEnvironments_esc', 'GET', ENVS)
    await call('ReadEnvironment_esc_environments', 'GET', ENV)
    await call('DecryptEnvironment_esc_environments', 'GET', `${ENV}/decrypt`)
    await call('ReadEnvironment_esc_environments_versions', 'GET', `${ENV}/versions/2`)
    await call('DecryptEnvironment_esc_environments_versions', 'GET', `${ENV}/versions/2/decrypt`)
    await call('CheckYAML_esc', 'POST', `${ENVS}/yaml/check`, yaml('imports:\n  - docs/env\n'))
    const anonymous = await call(
      'OpenYAML_esc',
      'POST',
      `${ENVS}/yaml/open?duration=1h0m0s`,
      yaml('imports:\n  - docs/env\n'),
    )
    await call('ReadAnonymousOpenEnvironment_esc', 'GET', `${ENVS}/yaml/open/${anonymous.id}`)
    await call('ReadAnonymousOpenEnvironment_esc', 'GET', `${ENVS}/yaml/open/${anonymous.id}?property=a`)
    await call('CheckEnvironment_esc_environments', 'POST', `${ENV}/check`)
    await call('CheckEnvironment_esc_environments_versions', 'POST', `${ENV}/versions/2/check`)
    const opened = await call('OpenEnvironment_esc_environments', 'POST', `${ENV}/open`)
    await call('OpenEnvironment_esc_environments_versions', 'POST', `${ENV}/versions/2/open`)
    await call('ReadOpenEnvironment_esc_environments', 'GET', `${ENV}/open/${opened.id}`)
    await cli.call('PATCH', ENV, yaml('values:\n  a: y\n'))
    await cli.call('PATCH', ENV, yaml('values:\n  a: z\n'))
    await call('RetractEnvironmentRevision_esc_environments', 'POST', `${ENV}/versions/3/retract`, {
      body: { reason: 'r' },
    })
    await call('ListEnvironmentRevisions_esc_environments', 'GET', `${ENV}/versions`)
    await call('CreateRevisionTag_esc_environments_versions_tags', 'POST', `${ENV}/versions/tags`, {
      body: { name: 'stable', revision: 2 },
    })
    await call('ListRevisionTags_esc_environments_versions', 'GET', `${ENV}/versions/tags`)
    await call('ListRevisionTags_esc_environments_versions2', 'GET', `${ENV}/versions/2/tags`)
    await call('ReadRevisionTag_esc_environments', 'GET', `${ENV}/versions/tags/stable`)
    await call('UpdateRevisionTag_esc_environments', 'PATCH', `${ENV}/versions/tags/stable`, {
      body: { revision: 4 },
    })
    await call('DeleteRevisionTag_esc_environments', 'DELETE', `${ENV}/versions/tags/stable`)
    await call('CreateEnvironmentTag_esc_environments', 'POST', `${ENV}/tags`, {
      body: { name: 'team', value: 'a' },
    })
    await call('ListEnvironmentTags_esc_environments', 'GET', `${ENV}/tags`)
    await call('GetEnvironmentTag_esc_environments', 'GET', `${ENV}/tags/team`)
    await call('UpdateEnvironmentTag_esc_environments', 'PATCH', `${ENV}/tags/team`, {
      body: { currentTag: { value: 'a' }, newTag: { value: 'b' } },
    })
    await call('DeleteEnvironmentTag_esc_environments', 'DELETE', `${ENV}/tags/team`)
    await call('GetEnvironmentSettings', 'GET', `${ENV}/settings`)
    await call('PatchEnvironmentSettings', 'PATCH', `${ENV}/settings`, { body: { deletionProtected: false } })
    await call('ListEnvironmentReferrers_esc_environments', 'GET', `${ENVS}/docs/base/referrers`)
    await call(
      'ListEnvironmentReferrers_esc_environments_versions',
      'GET',
      `${ENVS}/docs/base/versions/2/referrers`,
    )
    await call('RotateEnvironment', 'POST', `${ENV}/rotate`, { body: { paths: [] } })
    await call('CloneEnvironment', 'POST', `${ENV}/clone`, { body: { name: 'copy' } })
    await call('DeleteEnvironment_esc_environments', 'DELETE', `${ENVS}/docs/copy`)
    assert.deepEqual(
      Object.keys(ESC_ROUTE_DOCS).filter((id) => !checked.has(id)),
      [],
      'every documented route was called',
    )
  })
})
