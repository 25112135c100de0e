// Red-team replay of CLI interleavings (issue: hardening). Each test here failed before the fix it names.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { SqlAuditStore } from '../../src/audit/audit-store.js'
import { verifyChain } from '../../src/audit/verify-chain.js'
import { assertApiError } from '../support/assert-api-error.js'
import { CliApiError, type CliClient } from '../support/cli-client.js'
import { type TestServer, useTestServer } from '../support/test-server.js'
import {
  complete,
  createAndStart,
  createEntries,
  historyResults,
  type StackId,
  sendJournal,
  stackPath,
} from '../support/update-driver.js'
import {
  createStack,
  eventually,
  exportOf,
  fixtureState,
  resourceUrns,
  urnNames,
} from '../support/update-uploads.js'

describe('a stack held by an update whose lease lapsed (the CLI died), before the expiry sweep runs', () => {
  let cli: CliClient
  // The server's clock, moved past the lease; the sweep job is never run here, as within its interval.
  let now = Date.now()
  const LEASE_MS = 5 * 60_000
  let server: TestServer
  useTestServer({ overrides: { clock: { now: () => now } } }, (started) => {
    server = started
    cli = started.client
  })
  let count = 0
  /** The result of the newest audit line of `action` on `stack`, once written. */
  const auditedOutcome = (action: string, stack: StackId) =>
    eventually(`the audit line of ${action}`, async () => {
      const events = await server.app.store.audit.query({ org: 'acme', limit: 10 })
      return events.find((e) => e.action === action && e.resource.endsWith(`/${stack.stack}`))?.result
    })
  async function abandonedUpdate(): Promise<StackId> {
    const stack = { org: 'acme', project: 'web', stack: `lapsed${++count}` }
    await createStack(cli, stack)
    const abandoned = await createAndStart(cli, stack)
    await sendJournal(cli, abandoned, createEntries(stack, 1).slice(0, 5))
    now += LEASE_MS + 1000
    return stack
  }

  // Found: `pulumi up` took such a stack at once (start ends a lapsed holder), but `stack import` / `state`
  // edits, `stack rename` and `stack rm` were refused with 409 "in progress", and `pulumi stack` still showed the
  // update as running, until the sweep came round. The lease is the only liveness signal (token_source.go).
  it('pulumi stack shows no update in progress; the abandoned update is failed with what it journaled', async () => {
    const stack = await abandonedUpdate()
    const info = await cli.call<{ currentOperation?: unknown }>('GET', stackPath(stack))
    assert.equal(info.body.currentOperation, undefined)
    assert.deepEqual(await historyResults(cli, stack), [[1, 'failed']])
    assert.deepEqual(urnNames(await resourceUrns(cli, stack)), [`web-${stack.stack}`, 'r0'])
  })

  it('stack import (and every `pulumi state` edit) is accepted as a new version', async () => {
    const stack = await abandonedUpdate()
    await cli.call('POST', `${stackPath(stack)}/import`, {
      gzip: true,
      body: fixtureState('eks-cluster-1.0.4.json'),
    })
    assert.deepEqual(await historyResults(cli, stack), [
      [2, 'succeeded'],
      [1, 'failed'],
    ])
  })

  it('stack rename is accepted', async () => {
    const stack = await abandonedUpdate()
    await cli.call('POST', `${stackPath(stack)}/rename`, {
      body: { newName: `${stack.stack}-renamed`, newProject: stack.project },
    })
    const renamed = { ...stack, stack: `${stack.stack}-renamed` }
    assert.deepEqual(urnNames(await resourceUrns(cli, renamed)), [`web-${renamed.stack}`, 'r0'])
  })

  // The expiry is the server's doing: it must not carry the request's audit line, or a `stack rm` refused just
  // after it (resources remain) would be recorded as a successful deletion.
  it('stack rm without --force is refused with the CLI wording, and audited as a failure', async () => {
    const stack = await abandonedUpdate()
    await assertApiError(
      cli.call('DELETE', stackPath(stack)),
      400,
      'Bad Request: Stack still contains resources.',
    )
    // A refused request's line is written just after its answer.
    const deletion = await auditedOutcome('deleteStack', stack)
    assert.equal(deletion, 'failure')
    assert.deepEqual(await historyResults(cli, stack), [[1, 'failed']])
  })

  it('a complete arriving after the lease lapsed is refused (409) and audited as a failure', async () => {
    const stack = { org: 'acme', project: 'web', stack: `lapsed${++count}` }
    await createStack(cli, stack)
    const late = await createAndStart(cli, stack)
    now += LEASE_MS + 1000
    await assertApiError(complete(cli, late), 409)
    assert.equal(await auditedOutcome('completeUpdate', stack), 'failure')
  })

  it('stack rm --force is accepted', async () => {
    const stack = await abandonedUpdate()
    await cli.call('DELETE', `${stackPath(stack)}?force=true`)
    const list = await cli.call<{ stacks: { stackName: string }[] }>('GET', '/api/user/stacks')
    assert.ok(!list.body.stacks.some((s) => s.stackName === stack.stack))
  })
})

describe('NUL characters in strings the CLI sends (valid JSON; PostgreSQL refuses them in text columns)', () => {
  let cli: CliClient
  useTestServer({}, (started) => {
    cli = started.client
  })
  const NUL = 'a\u0000b'

  // Found on PostgreSQL: the search index row of a resource whose id or URN holds a NUL failed the write of the
  // new version, so complete answered 500 on every retry and lease expiry failed the same way: the stack stayed
  // locked for good. A state is opaque bytes to the CLI (an output may be any string).
  it('a resource id, URN or output with a NUL completes, exports as sent, is searchable, and imports', async () => {
    const stack = { org: 'acme', project: 'web', stack: 'nul' }
    await createStack(cli, stack)
    const update = await createAndStart(cli, stack)
    const entries = createEntries(stack, 1) as { state?: Record<string, unknown> }[]
    const state = entries[4]?.state as Record<string, unknown>
    state.id = NUL
    state.outputs = { value: NUL }
    await sendJournal(cli, update, entries)
    await complete(cli, update)
    const [, resource] = (await exportOf(cli, stack)).json.deployment.resources ?? []
    assert.equal(resource?.id, NUL)
    assert.deepEqual(resource?.outputs, { value: NUL })
    const found = await cli.call<{ resources: { id: string }[] }>(
      'GET',
      '/api/orgs/acme/search/resourcesv2?query=stack:nul',
    )
    assert.equal(found.body.resources.length, 2)

    const imported = fixtureState('eks-cluster-1.0.4.json')
    const resources = imported.deployment.resources as { urn: string }[]
    const first = resources[1] as { urn: string }
    first.urn = `${first.urn}${NUL}`
    await cli.call('POST', `${stackPath(stack)}/import`, { gzip: true, body: imported })
    assert.equal((await resourceUrns(cli, stack))[1], first.urn)
  })

  // Found on PostgreSQL: `pulumi up --message` (or a commit message) holding a NUL made create-update answer 500.
  it('an update message with a NUL is accepted; history shows it with U+FFFD in its place', async () => {
    const stack = { org: 'acme', project: 'web', stack: 'nulmsg' }
    await createStack(cli, stack)
    const created = await cli.call<{ updateID: string }>('POST', `${stackPath(stack)}/update`, {
      body: { options: { dryRun: false }, metadata: { message: NUL, environment: { k: NUL } } },
    })
    const started = await cli.call<{ token: string }>(
      'POST',
      `${stackPath(stack)}/update/${created.body.updateID}`,
      { body: {} },
    )
    await complete(cli, {
      id: created.body.updateID,
      version: 1,
      token: started.body.token,
      journalVersion: 0,
      path: `${stackPath(stack)}/update/${created.body.updateID}`,
    })
    const history = await cli.call<{ updates: { message: string; environment: Record<string, string> }[] }>(
      'GET',
      `${stackPath(stack)}/updates?pageSize=1&page=1`,
    )
    assert.equal(history.body.updates[0]?.message, 'a\uFFFDb')
    assert.deepEqual(history.body.updates[0]?.environment, { k: NUL })
  })
})

describe('NUL characters in other text fields', () => {
  let cli: CliClient
  useTestServer({}, (started) => {
    cli = started.client
  })

  // Found on PostgreSQL: a token description, a webhook name or a search query with a NUL answered 500.
  it('are stored, or refused with a 400 that names the NUL; never a 500', async () => {
    const NUL = 'a\u0000b'
    await createStack(cli, { org: 'acme', project: 'web', stack: 'nulhooks' })
    const requests = [
      () => cli.call('POST', '/api/user/tokens', { body: { description: NUL } }),
      () =>
        cli.call('POST', '/api/orgs/acme/hooks', {
          body: {
            displayName: NUL,
            payloadUrl: 'http://127.0.0.1:9/x',
            active: true,
            organizationName: 'acme',
          },
        }),
      () =>
        cli.call('POST', '/api/stacks/acme/web/nulhooks/hooks', {
          body: { displayName: NUL, payloadUrl: 'http://127.0.0.1:9/x', active: true },
        }),
      () => cli.call('GET', '/api/orgs/acme/search/resourcesv2?query=a%00b'),
    ]
    for (const request of requests) {
      await request().catch((error: unknown) => {
        assert.ok(error instanceof CliApiError, String(error))
        assert.equal(error.status, 400, error.apiMessage)
        assert.equal(error.code, 400)
        assert.match(error.apiMessage, /NUL/)
      })
    }
  })
})

describe('CLIs changing different stacks at the same moment', () => {
  let cli: CliClient
  let server: TestServer
  useTestServer({}, (started) => {
    server = started
    cli = started.client
  })

  // Found on PostgreSQL: every change appends to the audit hash chain in its own transaction; two transactions
  // read the same chain tail and inserted the same sequence number, so one of the requests answered 500 (and an
  // audit line written after a refused request could be lost the same way). Teams run `pulumi up` side by side.
  it('every request succeeds and the audit chain stays whole', async () => {
    const stacks = Array.from({ length: 12 }, (_, i) => ({ org: 'acme', project: 'web', stack: `side${i}` }))
    await Promise.all(stacks.map((stack) => createStack(cli, stack)))
    await Promise.all(
      stacks.flatMap((stack) => [
        cli.call('PATCH', `${stackPath(stack)}/tags`, { body: { team: stack.stack } }),
        // Refused (404): its audit line is written after the response, racing the others.
        cli.call('GET', `${stackPath(stack)}-missing`).catch(() => undefined),
        createAndStart(cli, stack).then((update) => complete(cli, update)),
      ]),
    )
    const verdict = await verifyChain(server.app.store.audit as SqlAuditStore)
    assert.ok(verdict.ok, JSON.stringify(verdict))
    assert.deepEqual(await historyResults(cli, stacks[0] as StackId), [[1, 'succeeded']])
  })
})
