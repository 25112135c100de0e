// The indexing queue keeps a version queued while the indexer was busy with an older one of the same stack: the
// indexer reads the queue and the state text outside its transaction, so a new version may be queued in between.
// Its re-index once emptied the stack's queue row whatever its version (replaceStack went through deleteStack),
// and that version then stayed out of search until the stack changed again.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { systemClock } from '../../src/lib/clock.js'
import { SearchService } from '../../src/search/search-service.js'
import { deploymentWith, importDeployment, stackResource } from '../support/state.js'
import { type TestServer, useTestServer } from '../support/test-server.js'

describe('search indexing queue', () => {
  let server: TestServer
  useTestServer({}, (started) => {
    server = started
  })

  it('keeps a newer version queued while an older one of the same stack is indexed', async () => {
    const cli = server.client
    await cli.call('POST', '/api/stacks/acme/queue', { body: { stackName: 'dev' } })
    const deployment = deploymentWith([stackResource('queue', 'dev')])
    await importDeployment(cli, '/api/stacks/acme/queue/dev', deployment)
    await server.app.jobs.runOnce()
    const { store } = server.app
    const stack = await store.stacks.findByRef({ org: 'acme', project: 'queue', stack: 'dev' })
    assert.ok(stack)
    await store.searchIndex.enqueue(stack.id, stack.version, systemClock.now())
    const indexer = new SearchService({
      store,
      clock: systemClock,
      isKnownOrg: () => true,
      stateText: async () => {
        // A commit of the next version lands while the indexer reads this one.
        await store.searchIndex.enqueue(stack.id, stack.version + 1, systemClock.now())
        return Buffer.from(JSON.stringify(deployment))
      },
    })
    await indexer.indexQueued()
    assert.deepEqual(await store.searchIndex.queued(10), [{ stackId: stack.id, version: stack.version + 1 }])
  })
})
