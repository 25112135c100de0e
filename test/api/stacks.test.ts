import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { assertApiError } from '../support/assert-api-error.js'
import type { CliClient } from '../support/cli-client.js'
import { type TestServer, useTestServer } from '../support/test-server.js'

describe('stacks API', () => {
  let server: TestServer
  let cli: CliClient
  useTestServer({ args: ['-stack-list-page-size=2'] }, (started) => {
    server = started
    cli = started.client
  })

  it('creates, reads and lists a stack', async () => {
    await cli.call('POST', '/api/stacks/acme/web', {
      body: { stackName: 'dev', tags: { 'pulumi:project': 'web', 'pulumi:runtime': 'nodejs' } },
    })
    const stack = await cli.call<Record<string, unknown>>('GET', '/api/stacks/acme/web/dev')
    assert.equal(stack.body.orgName, 'acme')
    assert.equal(stack.body.projectName, 'web')
    assert.equal(stack.body.stackName, 'dev')
    assert.equal(stack.body.activeUpdate, '')
    assert.equal(stack.body.version, 0)
    assert.deepEqual(stack.body.tags, { 'pulumi:project': 'web', 'pulumi:runtime': 'nodejs' })
    assert.equal('config' in stack.body, false, 'config must be absent or the CLI assumes remote config')
  })

  it('refuses a duplicate with the 409 the CLI maps to "already exists"', async () => {
    await assertApiError(
      cli.call('POST', '/api/stacks/acme/web', { body: { stackName: 'dev' } }),
      409,
      /already exists/,
    )
  })

  it('answers 404 with code 404 for an unknown stack', async () => {
    await assertApiError(
      cli.call('GET', '/api/stacks/acme/web/nope'),
      404,
      "Not Found: stack 'acme/web/nope' not found",
    )
  })

  it('rejects invalid names with 400', async () => {
    await assertApiError(
      cli.call('POST', '/api/stacks/acme/web', { body: { stackName: 'bad name' } }),
      400,
      /stack name/,
    )
    await assertApiError(cli.call('GET', '/api/stacks/a/web/dev'), 400, /organization name/)
    await assertApiError(cli.call('POST', '/api/stacks/acme/web', { body: { stackName: 42 } }), 400)
    await assertApiError(
      cli.call('POST', '/api/stacks/acme/web', { rawBody: Buffer.from('{nope') }),
      400,
      /JSON/,
    )
  })

  it('paginates with a continuation token that is null on the last page', async () => {
    for (const name of ['a1', 'a2', 'a3'])
      await cli.call('POST', '/api/stacks/acme/pages', { body: { stackName: name } })
    const seen: string[] = []
    let token: string | null | undefined
    let pages = 0
    do {
      const query = new URLSearchParams({ project: 'pages', ...(token ? { continuationToken: token } : {}) })
      const page = await cli.call<{ stacks: { stackName: string }[]; continuationToken?: string | null }>(
        'GET',
        `/api/user/stacks?${query}`,
      )
      seen.push(...page.body.stacks.map((s) => s.stackName))
      token = page.body.continuationToken
      assert.notEqual(token, '', 'an empty token makes the CLI loop forever')
      pages++
    } while (token)
    assert.deepEqual(seen, ['a1', 'a2', 'a3'])
    assert.equal(pages, 2)
  })

  it('filters by organization, project and tags', async () => {
    await cli.call('PATCH', '/api/stacks/acme/pages/a2/tags', { body: { team: 'blue', env: 'prod' } })
    const byTag = await cli.call<{ stacks: { stackName: string }[] }>('GET', '/api/user/stacks?tagName=team')
    assert.deepEqual(
      byTag.body.stacks.map((s) => s.stackName),
      ['a2'],
    )
    const byValue = await cli.call<{ stacks: unknown[] }>('GET', '/api/user/stacks?tagName=team&tagValue=red')
    assert.equal(byValue.body.stacks.length, 0)
    const byOrg = await cli.call<{ stacks: unknown[] }>('GET', '/api/user/stacks?organization=other')
    assert.equal(byOrg.body.stacks.length, 0)
  })

  it('replaces all tags and validates them', async () => {
    await cli.call('PATCH', '/api/stacks/acme/pages/a2/tags', { body: { only: 'this' } })
    const stack = await cli.call<{ tags: Record<string, string> }>('GET', '/api/stacks/acme/pages/a2')
    assert.deepEqual(stack.body.tags, { only: 'this' })
    await assertApiError(
      cli.call('PATCH', '/api/stacks/acme/pages/a2/tags', { body: { 'bad tag': 'x' } }),
      400,
      /tag name/,
    )
  })

  it('answers HEAD project-exists with 200 or 404', async () => {
    const yes = await cli.call('HEAD', '/api/stacks/acme/pages')
    assert.equal(yes.status, 200)
    await assert.rejects(
      cli.call('HEAD', '/api/stacks/acme/ghost'),
      (e: { status: number }) => e.status === 404,
    )
  })

  it('renames within and across projects', async () => {
    await cli.call('POST', '/api/stacks/acme/pages/a3/rename', {
      body: { newName: 'b3', newProject: 'pages' },
    })
    await assertApiError(cli.call('GET', '/api/stacks/acme/pages/a3'), 404)
    await cli.call('POST', '/api/stacks/acme/pages/b3/rename', {
      body: { newName: 'c3', newProject: 'other' },
    })
    const moved = await cli.call<{ projectName: string; stackName: string }>(
      'GET',
      '/api/stacks/acme/other/c3',
    )
    assert.equal(moved.body.projectName, 'other')
    await assertApiError(
      cli.call('POST', '/api/stacks/acme/pages/a1/rename', { body: { newName: 'a2', newProject: 'pages' } }),
      409,
    )
  })

  it('deletes a stack', async () => {
    await cli.call('DELETE', '/api/stacks/acme/other/c3?force=false')
    await assertApiError(cli.call('GET', '/api/stacks/acme/other/c3'), 404)
    await assertApiError(cli.call('DELETE', '/api/stacks/acme/other/c3?force=false'), 404)
  })

  it('requires a valid token', async () => {
    await assertApiError(
      cli.call('GET', '/api/user/stacks', { auth: { kind: 'token', token: 'wrong' } }),
      401,
    )
    await assertApiError(cli.call('GET', '/api/user/stacks', { auth: { kind: 'token', token: '' } }), 401)
    await assertApiError(
      cli.call('GET', '/api/user/stacks', { auth: { kind: 'update-token', token: server.token } }),
      401,
    )
  })
})
