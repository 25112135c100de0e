// Red-team replay of CLI interleavings (issue: hardening). Each test here failed before the fix it names.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { CliClient } from '../support/cli-client.js'
import { useTestServer } from '../support/test-server.js'
import {
  createAndStart,
  createEntries,
  historyResults,
  type StackId,
  sendJournal,
  stackPath,
} from '../support/update-driver.js'
import { createStack, fixtureState, resourceUrns, urnNames } from '../support/update-uploads.js'

describe('a stack held by an update whose lease lapsed (the CLI died), before the expiry sweep runs', () => {
  let cli: CliClient
  // The server's clock, moved past the lease; the sweep job is never run here, as within its interval.
  let now = Date.now()
  const LEASE_MS = 5 * 60_000
  useTestServer({ overrides: { clock: { now: () => now } } }, (started) => {
    cli = started.client
  })
  let count = 0
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

  it('stack rm --force is accepted', async () => {
    const stack = await abandonedUpdate()
    await cli.call('DELETE', `${stackPath(stack)}?force=true`)
    const list = await cli.call<{ stacks: { stackName: string }[] }>('GET', '/api/user/stacks')
    assert.ok(!list.body.stacks.some((s) => s.stackName === stack.stack))
  })
})
