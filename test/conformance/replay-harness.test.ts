// An independent replay of the CLI's lifecycle under lost responses, interleavings, restarts, lease expiry and
// hostile input (issue 7). Which requests are retried follows client.go (retryAllMethods on renew_lease, the three
// checkpoint kinds, journalentries, events/batch, complete, cancel, encrypt/decrypt and their batch forms) and
// httputil.DoWithRetryOpts (5xx, 429 and transport errors retried; other POSTs never). Requests the CLI does not
// retry are still sent twice here, as a user re-running a command after a lost response would.
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { connect } from 'node:net'
import { describe, it } from 'node:test'
import { gzipSync } from 'node:zlib'
import { CliApiError, type CliClient } from '../support/cli-client.js'
import { ManualClock } from '../support/manual-clock.js'
import { startTestServer, useTestServer } from '../support/test-server.js'
import {
  complete,
  createAndStart,
  createEntries,
  historyResults,
  leaseAuth,
  type RunningUpdate,
  renewLease,
  type StackId,
  sendEvents,
  sendJournal,
  stackPath,
  withToken,
} from '../support/update-driver.js'
import {
  assertClientError,
  createStack,
  exportOf,
  fixtureState,
  patchUpdate,
  recordedDeltaChain,
  resourceUrns,
  stackFactory,
  urnNames,
  verbatimBody,
} from '../support/update-uploads.js'

const event = (sequence: number) => ({ sequence, timestamp: 1, stdoutEvent: { message: `m${sequence}` } })
const fullBody = (deployment: unknown) =>
  Buffer.from(`{"isInvalid":false,"version":3,"deployment":${JSON.stringify(deployment)}}`)
const { text, delta } = recordedDeltaChain()

describe('replay: lost responses and interleavings', () => {
  let cli: CliClient
  useTestServer({}, (started) => {
    cli = started.client
  })
  const freshStack = stackFactory(() => cli, 'replay')

  it('journal and events batches sent again (at once, and after later batches) apply once; complete while a batch is in flight', async () => {
    const stack = await freshStack()
    const update = await createAndStart(cli, stack)
    const entries = createEntries(stack, 4)
    await sendJournal(cli, update, entries.slice(0, 4))
    await sendJournal(cli, update, entries.slice(4, 8))
    await sendJournal(cli, update, entries.slice(0, 4)) // a late retry of the first batch
    await Promise.all([
      sendJournal(cli, update, entries.slice(8, 10)),
      sendJournal(cli, update, entries.slice(8, 10)),
    ])
    assert.deepEqual(urnNames(await resourceUrns(cli, stack)), ['web-replay1', 'r0', 'r1', 'r2'])
    // Renew races the uploads that still carry the old token (state.go shares one token source).
    const [renewed] = await Promise.all([
      renewLease(cli, update),
      sendEvents(cli, update, [event(0), event(1)]),
      sendJournal(cli, update, entries.slice(10, 11)),
    ])
    await Promise.all([
      sendEvents(cli, update, [event(0), event(1)]),
      sendEvents(cli, update, [event(1), event(2)]),
    ])
    const lastEvents = sendEvents(cli, withToken(update, renewed), [event(3)])
    const lastJournal = sendJournal(cli, withToken(update, renewed), entries.slice(11))
    const done = complete(cli, withToken(update, renewed))
    await Promise.all([lastEvents, lastJournal, done])
    await complete(cli, update) // retried with the other live token
    assert.deepEqual(urnNames(await resourceUrns(cli, stack)), ['web-replay1', 'r0', 'r1', 'r2', 'r3'])
    const events = await cli.call<{ events: { sequence: number }[] }>('GET', `${update.path}/events`)
    assert.deepEqual(
      events.body.events.map((e) => e.sequence),
      [0, 1, 2, 3],
    )
    assert.deepEqual(await historyResults(cli, stack), [[1, 'succeeded']])
    // Late arrivals after the end are refused, change nothing, and the stack takes the next update.
    await assertClientError(sendJournal(cli, update, entries.slice(0, 4)), 409)
    await assertClientError(sendEvents(cli, update, [event(9)]), 409)
    await assertClientError(complete(cli, update, 'failed'), 409)
    // Found by this replay: the message said "must be equal to constant" twice instead of the allowed values.
    const badStatus = await assertClientError(
      cli.call('POST', `${update.path}/complete`, { auth: leaseAuth(update), body: { status: 'cancelled' } }),
      400,
    )
    assert.equal(badStatus.apiMessage, 'Bad Request: body/status must be one of "succeeded", "failed"')
    await assertClientError(renewLease(cli, update), 403)
    assert.deepEqual(await historyResults(cli, stack), [[1, 'succeeded']])
    await complete(cli, await createAndStart(cli, stack))
  })

  it('create update sent twice leaves no lock behind; start sent twice is refused without a second lease', async () => {
    const stack = await freshStack()
    const path = stackPath(stack)
    const body = {
      name: stack.project,
      runtime: 'nodejs',
      options: { dryRun: false },
      config: {},
      metadata: {},
    }
    const first = await cli.call<{ updateID: string }>('POST', `${path}/update`, { body })
    const second = await cli.call<{ updateID: string }>('POST', `${path}/update`, { body })
    assert.notEqual(first.body.updateID, second.body.updateID)
    const start = { body: { tags: {}, journalVersion: 1 } }
    const started = await cli.call<{ token: string }>('POST', `${path}/update/${second.body.updateID}`, start)
    await assertClientError(cli.call('POST', `${path}/update/${second.body.updateID}`, start), 409)
    await assertClientError(cli.call('POST', `${path}/update/${first.body.updateID}`, start), 409)
    const update: RunningUpdate = {
      id: second.body.updateID,
      version: 1,
      token: started.body.token,
      journalVersion: 1,
      path: `${path}/update/${second.body.updateID}`,
    }
    await complete(cli, update)
    assert.deepEqual(await historyResults(cli, stack), [[1, 'succeeded']])
    await complete(cli, await createAndStart(cli, stack))
    assert.deepEqual(await historyResults(cli, stack), [
      [2, 'succeeded'],
      [1, 'succeeded'],
    ])
  })

  it('stack, tag, import and secrets requests sent twice', async () => {
    const stack = await freshStack()
    const path = stackPath(stack)
    await assertClientError(
      cli.call('POST', `/api/stacks/${stack.org}/${stack.project}`, { body: { stackName: stack.stack } }),
      409,
    )
    await cli.call('PATCH', `${path}/tags`, { body: { team: 'a' } })
    await cli.call('PATCH', `${path}/tags`, { body: { team: 'a' } })
    const state = fixtureState('eks-nodegroup-3.0.0.json')
    const imports = await Promise.all([
      cli.call<{ updateId: string }>('POST', `${path}/import`, { gzip: true, body: state }),
      cli.call<{ updateId: string }>('POST', `${path}/import`, { gzip: true, body: state }),
    ])
    assert.notEqual(imports[0].body.updateId, imports[1].body.updateId)
    assert.deepEqual((await exportOf(cli, stack)).json, state)
    assert.deepEqual(await historyResults(cli, stack), [
      [2, 'succeeded'],
      [1, 'succeeded'],
    ])
    const plaintext = Buffer.from('hunter2').toString('base64')
    const [c1, c2] = await Promise.all([
      cli.call<{ ciphertext: string }>('POST', `${path}/encrypt`, { body: { plaintext } }),
      cli.call<{ ciphertext: string }>('POST', `${path}/encrypt`, { body: { plaintext } }),
    ])
    const batch = await cli.call<{ plaintexts: Record<string, string> }>('POST', `${path}/batch-decrypt`, {
      gzip: true,
      body: { ciphertexts: [c1.body.ciphertext, c2.body.ciphertext, c1.body.ciphertext] },
    })
    assert.deepEqual(Object.values(batch.body.plaintexts), [plaintext, plaintext])
    // Rename and delete sent again: the second finds nothing, and the state followed the first.
    await cli.call('POST', `${path}/rename`, { body: { newName: `${stack.stack}-b` } })
    await assertClientError(
      cli.call('POST', `${path}/rename`, { body: { newName: `${stack.stack}-b` } }),
      404,
    )
    const renamed = { ...stack, stack: `${stack.stack}-b` }
    const decrypted = await cli.call<{ plaintext: string }>('POST', `${stackPath(renamed)}/decrypt`, {
      body: { ciphertext: c1.body.ciphertext },
    })
    assert.equal(decrypted.body.plaintext, plaintext)
    await cli.call('DELETE', `${stackPath(renamed)}?force=true`)
    await assertClientError(cli.call('DELETE', `${stackPath(renamed)}?force=true`), 404)
  })

  it('cancel from another client: every later upload of the first is refused, the state it had stays', async () => {
    const stack = await freshStack()
    const update = await createAndStart(cli, stack, { journal: false })
    const real = fixtureState('eks-cluster-3.0.0.json')
    await patchUpdate(cli, update, 'checkpoint', fullBody(real.deployment))
    const other = new (cli.constructor as typeof import('../support/cli-client.js').CliClient)(
      cli.baseUrl,
      cli.token,
    )
    await Promise.all([
      other.call('POST', `${update.path}/cancel`),
      other.call('POST', `${update.path}/cancel`),
    ])
    await assertClientError(patchUpdate(cli, update, 'checkpoint', fullBody({})), 409)
    await assertClientError(complete(cli, update), 409)
    assert.deepEqual((await exportOf(cli, stack)).json, real)
    assert.deepEqual(await historyResults(cli, stack), [[1, 'failed']])
  })
})

describe('replay: retries across a restart and after lease expiry', () => {
  it('every upload kind and complete sent again after a restart is answered as the first was', async () => {
    const first = await startTestServer()
    const stacks = ['j', 'v', 'f'].map((name) => ({ org: 'acme', project: 'web', stack: name }))
    const [j, v, f] = stacks as [StackId, StackId, StackId]
    const real = fixtureState('eks-managed-nodegroups-3.0.0.json')
    const entries = createEntries(j, 2)
    let uj: RunningUpdate
    let uv: RunningUpdate
    let uf: RunningUpdate
    try {
      for (const stack of stacks) await createStack(first.client, stack)
      uj = await createAndStart(first.client, j)
      uv = await createAndStart(first.client, v, { journal: false })
      uf = await createAndStart(first.client, f, { journal: false })
      await sendJournal(first.client, uj, entries.slice(0, 5))
      await sendEvents(first.client, uj, [event(0)])
      await patchUpdate(first.client, uv, 'checkpointverbatim', verbatimBody(text(1), 1))
      await patchUpdate(first.client, uv, 'checkpointdelta', delta(2))
      await patchUpdate(first.client, uf, 'checkpoint', fullBody(real.deployment))
    } finally {
      await first.app.close()
    }
    let second = await startTestServer({ dir: first.dir })
    try {
      const cli = second.client
      await sendJournal(cli, uj, entries.slice(0, 5))
      await sendEvents(cli, uj, [event(0)])
      await patchUpdate(cli, uv, 'checkpointdelta', delta(2))
      await patchUpdate(cli, uf, 'checkpoint', fullBody(real.deployment))
      assert.equal((await exportOf(cli, v)).raw.toString('utf8'), text(2).toString('utf8'))
      assert.deepEqual((await exportOf(cli, f)).json, real)
      assert.deepEqual(urnNames(await resourceUrns(cli, j)), ['web-j', 'r0'])
      await sendJournal(cli, uj, entries.slice(5))
      for (const update of [uj, uv, uf]) await complete(cli, update)
      await second.app.close()
      second = await startTestServer({ dir: first.dir })
      for (const update of [uj, uv, uf]) await complete(second.client, update)
      for (const stack of stacks)
        assert.deepEqual(await historyResults(second.client, stack), [[1, 'succeeded']])
      assert.deepEqual(urnNames(await resourceUrns(second.client, j)), ['web-j', 'r0', 'r1'])
      const events = await second.client.call<{ events: unknown[] }>('GET', `${uj.path}/events`)
      assert.equal(events.body.events.length, 1)
    } finally {
      await second.close()
      rmSync(first.dir, { recursive: true, force: true })
    }
  })

  it('after the lease expires, the retries are refused, history says failed, and the stack is free', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1))
    const server = await startTestServer({ overrides: { clock } })
    try {
      const cli = server.client
      const stack = { org: 'acme', project: 'web', stack: 'expiry' }
      await createStack(cli, stack)
      const update = await createAndStart(cli, stack)
      const entries = createEntries(stack, 1)
      await sendJournal(cli, update, entries.slice(0, 5))
      clock.advance(10 * 60_000)
      await assertClientError(sendJournal(cli, update, entries.slice(5)), 409)
      await assertClientError(renewLease(cli, update), 403)
      await assertClientError(complete(cli, update), 409)
      assert.deepEqual(urnNames(await resourceUrns(cli, stack)), ['web-expiry', 'r0'])
      assert.deepEqual(await historyResults(cli, stack), [[1, 'failed']])
      await complete(cli, await createAndStart(cli, stack))
    } finally {
      await server.close()
    }
  })
})

describe('replay: hostile input on every route', () => {
  let cli: CliClient
  useTestServer({}, (started) => {
    cli = started.client
  })

  it('never 5xx, always the CLI error shape, nothing stored, and the running update still completes', async () => {
    const stack = { org: 'acme', project: 'web', stack: 'fuzz' }
    await createStack(cli, stack)
    const p = stackPath(stack)
    const update = await createAndStart(cli, stack)
    await sendJournal(cli, update, createEntries(stack, 1).slice(0, 5))
    const before = await snapshotOf(cli, stack)
    const routes: [string, string][] = [
      ['GET', '/api/user'],
      ['GET', '/api/user/stacks'],
      ['GET', `/api/stacks/${stack.org}`],
      ['HEAD', `/api/stacks/${stack.org}/${stack.project}`],
      ['POST', `/api/stacks/${stack.org}/${stack.project}`],
      ['GET', p],
      ['DELETE', p],
      ['POST', `${p}/rename`],
      ['PATCH', `${p}/tags`],
      ['POST', `${p}/encrypt`],
      ['POST', `${p}/decrypt`],
      ['POST', `${p}/batch-encrypt`],
      ['POST', `${p}/batch-decrypt`],
      ['POST', `${p}/decrypt/log-decryption`],
      ['POST', `${p}/decrypt/log-batch-decryption`],
      ['GET', `${p}/export`],
      ['GET', `${p}/export/1`],
      ['POST', `${p}/import`],
      ['GET', `${p}/updates`],
      ['GET', `${p}/updates/latest`],
      ['GET', `${p}/updates/1`],
      ['GET', `${update.path}/events`],
      ['GET', update.path],
      ['POST', `${p}/update`],
      ['POST', `${p}/preview`],
      ['POST', update.path],
      ['POST', `${update.path}/renew_lease`],
      ['PATCH', `${update.path}/checkpoint`],
      ['PATCH', `${update.path}/checkpointverbatim`],
      ['PATCH', `${update.path}/checkpointdelta`],
      ['PATCH', `${update.path}/journalentries`],
      ['POST', `${update.path}/events/batch`],
      ['GET', '/api/user/tokens'],
      ['POST', '/api/user/tokens'],
      ['DELETE', '/api/user/tokens/x'],
      ['GET', '/api/orgs/acme/members'],
      ['GET', '/api/orgs/acme/tokens'],
      ['POST', '/api/orgs/acme/tokens'],
      ['GET', '/api/admin/tokens/alice'],
      ['GET', '/api/registry/templates'],
      ['GET', '/api/registry/packages'],
      ['GET', '/api/orgs/acme/templates'],
      ['GET', '/api/orgs/acme/template/download'],
      ['GET', '/api/capabilities'],
      ['GET', '/api/user/organizations/default'],
    ]
    const bodies: [Buffer, Record<string, string>][] = [
      [Buffer.from('null'), {}],
      [Buffer.from('[]'), {}],
      [Buffer.from('"x"'), {}],
      [Buffer.from('1e999'), {}],
      [Buffer.from('{"a":'), {}],
      [Buffer.from('\ufeff{}'), {}],
      [Buffer.from('{}'), { 'Content-Encoding': 'gzip' }], // gzip that is not
      [gzipSync(Buffer.from('{"entries":[]}')).subarray(0, 12), { 'Content-Encoding': 'gzip' }],
      [Buffer.from('{}'), { 'Content-Encoding': 'br' }],
      [Buffer.from('{}'), { 'Content-Type': 'text/plain' }],
      [Buffer.from('a=1'), { 'Content-Type': 'application/x-www-form-urlencoded' }],
      [Buffer.from('{}'), { 'Content-Type': ';;;' }],
      [Buffer.from('{"__proto__":{"x":1},"constructor":{"prototype":{}}}'), {}],
      [
        Buffer.from(
          '{"stackName":1,"newName":[],"plaintext":{},"ciphertext":5,"plaintexts":"x","ciphertexts":[1],"entries":{},' +
            '"events":null,"token":1,"duration":"x","status":7,"tags":[],"name":{},"description":null,"expires":-5}',
        ),
        {},
      ],
      [
        Buffer.from(
          `{"stackName":"${'a'.repeat(5000)}","duration":1e308,"expires":9e300,"sequenceNumber":-1}`,
        ),
        {},
      ],
      [Buffer.from('{"é😀":"x","a/b":"\\u0000","\\ud800":"y"}'), {}], // no route takes these keys
    ]
    const queries = [
      '?pageSize=-1',
      '?pageSize=1e309',
      '?page=abc',
      '?continuationToken=%FF%FE',
      `?continuationToken=${'z'.repeat(3000)}`,
      '?force=maybe',
      '?page=0&pageSize=0',
      '?page=99999999999999999999',
    ]
    const authorizations = ['token', `update-token ${update.token}`, 'Bearer x', `token ${'x'.repeat(10000)}`]
    const failures: string[] = []
    const probe = async (method: string, path: string, options: Parameters<CliClient['call']>[2]) => {
      try {
        await cli.call(method, path, options)
      } catch (error) {
        if (!(error instanceof CliApiError)) failures.push(`${method} ${path}: ${String(error)}`)
        // A HEAD answer has no body to carry the message.
        else if (
          error.status >= 500 ||
          (method !== 'HEAD' && (error.code !== error.status || error.apiMessage === ''))
        )
          failures.push(`${method} ${path}: ${error.status} ${error.apiMessage}`)
      }
    }
    for (const [method, path] of routes) {
      const auth = path.startsWith(`${update.path}/`)
        ? { kind: 'update-token' as const, token: update.token }
        : undefined
      if (method !== 'GET' && method !== 'HEAD')
        for (const [rawBody, headers] of bodies) await probe(method, path, { auth, rawBody, headers })
      for (const query of queries) await probe(method, path + query, { auth })
      for (const authorization of authorizations)
        await probe(method, path, {
          auth: { kind: 'token', token: '' },
          headers: { Authorization: authorization },
        })
    }
    // ('..' is left out: the URL parser resolves it into another, valid path.)
    const oddNames = ['%00', '%2F', 'a'.repeat(300), '%C3%A9', '%E2%80%AE', '%FF', 'a%20b', '%ZZ']
    for (const odd of oddNames) {
      for (const [method, path] of [
        ['GET', `/api/stacks/${odd}/web/s`],
        ['GET', `/api/stacks/acme/${odd}/s`],
        ['GET', `/api/stacks/acme/web/${odd}`],
        ['POST', `/api/stacks/acme/${odd}`],
        ['GET', `${p}/updates/${odd}`],
        ['GET', `${p}/export/${odd}`],
        ['GET', `${p}/update/${odd}`],
        ['POST', `${p}/update/${odd}`],
        ['POST', `${p}/${odd}`],
        ['DELETE', `/api/user/tokens/${odd}`],
      ] as const)
        await probe(method, path, { body: { stackName: 'ok' } })
      let name = odd
      try {
        name = decodeURIComponent(odd)
      } catch {}
      await probe('POST', `/api/stacks/${stack.org}/${stack.project}`, { body: { stackName: name } })
    }
    assert.deepEqual(failures, [])
    assert.deepEqual(await snapshotOf(cli, stack), before, 'nothing the fuzzer sent was stored')
    await sendJournal(cli, update, createEntries(stack, 1).slice(5))
    await complete(cli, update)
    assert.deepEqual(urnNames(await resourceUrns(cli, stack)), ['web-fuzz', 'r0'])
  })

  // Found by this replay: a text/plain `{}` to PATCH tags was parsed as JSON and cleared every tag (200).
  it('a body labelled as something other than JSON is refused with 415 and changes nothing; JSON with a charset still works', async () => {
    const stack = { org: 'acme', project: 'web', stack: 'media' }
    await createStack(cli, stack)
    const path = stackPath(stack)
    await cli.call('PATCH', `${path}/tags`, { body: { team: 'a' } })
    const send = (method: string, url: string, body: unknown, contentType: string) =>
      cli.call(method, url, {
        rawBody: Buffer.from(JSON.stringify(body)),
        headers: { 'Content-Type': contentType },
      })
    for (const contentType of [
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
    ]) {
      await assertClientError(send('PATCH', `${path}/tags`, {}, contentType), 415)
      await assertClientError(
        send('POST', `/api/stacks/${stack.org}/${stack.project}`, { stackName: 'x' }, contentType),
        415,
      )
      await assertClientError(
        send('POST', `${path}/import`, fixtureState('eks-cluster-1.0.4.json'), contentType),
        415,
      )
    }
    const info = await cli.call<{ tags: Record<string, string> }>('GET', path)
    assert.deepEqual(info.body.tags, { team: 'a' })
    assert.deepEqual(await historyResults(cli, stack), [])
    await send('PATCH', `${path}/tags`, { team: 'b' }, 'application/json; charset=utf-8')
    assert.deepEqual((await cli.call<{ tags: Record<string, string> }>('GET', path)).body.tags, { team: 'b' })
  })
})

describe('replay: requests the HTTP parser refuses', () => {
  let url = ''
  useTestServer({}, (started) => {
    url = started.url
  })

  // Found by this replay: these were answered {"error": "...", "statusCode": N}, which the CLI cannot decode.
  it('are answered in the CLI error shape: headers too large (431) and a malformed request (400)', async () => {
    const target = new URL(url)
    const viaSocket = (bytes: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(target.port), target.hostname, () => socket.end(bytes))
        let answer = ''
        socket.on('data', (chunk) => {
          answer += chunk
        })
        socket.on('error', reject)
        socket.on('close', () => resolve(answer))
      })
    const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))
    const tooLarge = await viaSocket(`GET /api/user?x=${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`)
    assert.match(tooLarge, /^HTTP\/1\.1 431 /)
    assert.equal(bodyOf(tooLarge).code, 431)
    const malformed = await viaSocket('NOT HTTP AT ALL\r\n\r\n')
    assert.match(malformed, /^HTTP\/1\.1 400 /)
    assert.equal(bodyOf(malformed).code, 400)
    assert.ok(bodyOf(malformed).message)
  })
})

/** What a stored-by-mistake request would change: the stacks, their tags, the live state, history and tokens. */
async function snapshotOf(cli: CliClient, stack: StackId) {
  const stacks = await cli.call<{ stacks: { projectName: string; stackName: string }[] }>(
    'GET',
    '/api/user/stacks',
  )
  const info = await cli.call<{ tags: Record<string, string> }>('GET', stackPath(stack))
  const tokens = await cli.call<{ tokens: unknown[] }>('GET', '/api/user/tokens')
  const orgTokens = await cli.call<{ tokens: unknown[] }>('GET', `/api/orgs/${stack.org}/tokens`)
  return {
    stacks: stacks.body.stacks.map((s) => `${s.projectName}/${s.stackName}`).sort(),
    tags: info.body.tags,
    state: (await exportOf(cli, stack)).raw.toString('utf8'),
    history: await historyResults(cli, stack),
    tokens: tokens.body.tokens.length + orgTokens.body.tokens.length,
  }
}
