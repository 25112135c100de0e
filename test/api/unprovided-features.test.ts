// Pulumi Cloud features this server does not provide answer a 404 naming the feature (the CLI prints the message
// of apitype.ErrorResponse), while real routes under the same prefixes keep working.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/load-config.js'
import { assertApiError } from '../support/assert-api-error.js'
import { CliClient } from '../support/cli-client.js'
import { useTestServer } from '../support/test-server.js'

// Requests the CLI makes for these features (client.go, pkg/cmd/esc/cli/client/client.go), with the feature each
// must name.
const CALLS: [method: string, path: string, feature: RegExp][] = [
  ['GET', '/api/esc/providers', /Pulumi ESC/],
  ['GET', '/api/esc/rotators', /Pulumi ESC/],
  ['GET', '/api/preview/environments/acme/dev', /Pulumi ESC/],
  ['POST', '/api/stacks/acme/web/dev/deployments', /Pulumi Deployments/],
  ['GET', '/api/stacks/acme/web/dev/deployments/settings', /Pulumi Deployments/],
  ['GET', '/api/orgs/acme/deployments', /Pulumi Deployments/],
  ['GET', '/api/stacks/acme/web/dev/drift/runs', /Pulumi Deployments/],
  ['GET', '/api/orgs/acme/policypacks', /Policy packs/],
  ['POST', '/api/orgs/acme/policypacks/mypack/versions/1.0.0/complete', /Policy packs/],
  ['GET', '/api/orgs/acme/policygroups', /Policy packs/],
  ['GET', '/api/preview/insights/acme/accounts', /Insights/],
  ['GET', '/api/orgs/acme/search/resources/export', /Insights/],
  ['POST', '/api/orgs/acme/search/resources/parse', /Neo and Copilot/],
  ['POST', '/api/ai/template', /Neo and Copilot/],
  ['GET', '/api/preview/agents/acme/tasks', /Neo and Copilot/],
  ['POST', '/api/agents/signup', /Neo and Copilot/],
  ['POST', '/api/log-encryption-session/init', /Shared encrypted logs/],
  ['GET', '/api/console/orgs/acme/integrations/github-app', /console/],
  ['PATCH', '/api/orgs/acme/members/bob', /membership/],
  ['DELETE', '/api/orgs/acme/members/bob', /membership/],
  ['POST', '/api/orgs/acme/invites', /membership/],
  ['POST', '/api/registry/packages/private/acme/mypkg/versions', /registry publishing/],
  ['POST', '/api/registry/templates/private/acme/mytpl/versions', /registry publishing/],
  ['GET', '/api/registry/policypacks', /Policy packs/],
]

describe('Cloud features this server does not provide', () => {
  let cli: CliClient
  useTestServer({}, (started) => {
    cli = started.client
  })

  it('answer 404 with a message that names the feature and says this server does not provide it', async () => {
    for (const [method, path, feature] of CALLS) {
      await assertApiError(
        cli.call(method, path, method === 'GET' || method === 'DELETE' ? {} : { body: {} }),
        404,
        new RegExp(`${feature.source}.* is not provided by this server`),
      )
    }
  })

  it('are authenticated like real routes', async () => {
    await assertApiError(cli.call('GET', '/api/esc/providers', { auth: { kind: 'token', token: '' } }), 401)
  })

  it('leave real routes under the same prefixes working', async () => {
    await cli.call('GET', '/api/registry/templates?limit=499')
    await cli.call('GET', '/api/registry/packages?limit=499')
    await cli.call('GET', '/api/orgs/acme/members')
    await cli.call('GET', '/api/esc/environments/acme')
  })

  it('leave every other unknown route with the generic message', async () => {
    await assertApiError(
      cli.call('GET', '/api/no-such-thing'),
      404,
      'Not Found: no route for GET /api/no-such-thing',
    )
  })
})

describe('a feature implemented later', () => {
  it('wins over its unprovided-feature prefix by route specificity', async () => {
    const parsed = loadConfig(
      ['-addr=127.0.0.1:0', '-db=:memory:', `-master-key=${'cd'.repeat(32)}`, '-single-tenant-token=t'],
      {},
    )
    if (parsed.kind !== 'config') throw new Error('unexpected help')
    const app = await createApp(parsed.config)
    try {
      // Registered after the wildcard table, as a future policy-packs module would be.
      app.http.route({
        method: 'GET',
        url: '/api/orgs/:orgName/policypacks/:packName',
        config: { operationId: 'getPolicyPack', permission: 'authenticated', auth: 'token' },
        handler: async () => ({ name: 'h1' }),
      })
      const cli = new CliClient(await app.listen(), 't')
      assert.deepEqual((await cli.call('GET', '/api/orgs/acme/policypacks/h1')).body, { name: 'h1' })
      await assertApiError(cli.call('GET', '/api/orgs/acme/policypacks/h1/versions'), 404, /Policy packs/)
    } finally {
      await app.close()
    }
  })
})
