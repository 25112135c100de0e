// Malformed, oversized and hostile update uploads: each is refused with the CLI's error body
// (`{"code":<status>,"message":…}`, api.go :: decodeError) and leaves the update's state exactly as it was, so the
// update can still finish. 413 matters on journalentries: journal/snapshot.go :: sendBatch splits and resends.
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { describe, it } from 'node:test'
import { gzipSync } from 'node:zlib'
import { assertApiError } from '../support/assert-api-error.js'
import { CLI_VERSION, type CliClient } from '../support/cli-client.js'
import { type TestServer, useTestServer } from '../support/test-server.js'
import {
  complete,
  createAndStart,
  leaseAuth,
  type RunningUpdate,
  type StackId,
  sendJournal,
  stackPath,
} from '../support/update-driver.js'
import {
  assertClientError,
  createStack,
  deltaBody,
  exportOf,
  JournalWriter,
  patchUpdate,
  resourceState,
  resourceUrns,
  rootUrn,
  sha256Hex,
  verbatimBody,
} from '../support/update-uploads.js'

// A small -max-body-size keeps the bomb test cheap; the limit applies after gzip inflation.
const BODY_LIMIT_BYTES = 16 * 1024 * 1024
const names = (urns: string[]) => urns.map((u) => u.split('::').at(-1))

/** A request with a declared Content-Length but only `send` bytes of body: the server must answer before the rest. */
function declaredLength(url: string, path: string, token: string, length: number, send: Buffer) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      new URL(path, url),
      {
        method: 'PATCH',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/vnd.pulumi+9',
          'User-Agent': `pulumi-cli/1 (${CLI_VERSION}; linux)`,
          Authorization: `update-token ${token}`,
          'Content-Length': String(length),
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') })
          req.destroy()
        })
      },
    )
    req.on('error', reject)
    req.write(send)
  })
}

describe('bad update input', () => {
  let server: TestServer
  let cli: CliClient
  let counter = 0

  useTestServer({ args: [`-max-body-size=${BODY_LIMIT_BYTES}`] }, (started) => {
    server = started
    cli = started.client
  })

  async function journaledUpdate(): Promise<{
    stack: StackId
    update: RunningUpdate
    journal: JournalWriter
  }> {
    const stack = { org: 'acme', project: 'web', stack: `bad${++counter}` }
    await createStack(cli, stack)
    const update = await createAndStart(cli, stack)
    assert.equal(update.journalVersion, 1)
    const journal = new JournalWriter()
    journal.secretsManager(stack)
    journal.create({ urn: rootUrn(stack), custom: false, type: 'pulumi:pulumi:Stack' })
    await sendJournal(cli, update, journal.take())
    return { stack, update, journal }
  }

  /** A checkpointed (non-journaled) update whose first verbatim checkpoint holds one resource named `name`. */
  async function checkpointedUpdate(name: string) {
    const stack = { org: 'acme', project: 'web', stack: `bad${++counter}` }
    await createStack(cli, stack)
    const update = await createAndStart(cli, stack, { journal: false })
    const text = Buffer.from(
      '{"version":3,"deployment":{"manifest":{"time":"2026-01-01T00:00:00Z","magic":"","version":""},"metadata":{},' +
        `"resources":[{"urn":"urn:pulumi:x::web::t:index:R::${name}","custom":true,"type":"t:index:R"}]}}`,
    )
    await patchUpdate(cli, update, 'checkpointverbatim', verbatimBody(text, 1))
    return { stack, update, text }
  }

  it('refuses malformed journal entries with 400 and applies nothing of the batch', async () => {
    const { stack, update, journal } = await journaledUpdate()
    const next = journal.seq + 1
    const good = { version: 1, kind: 0, sequenceID: next, operationID: 50, removeOld: null, removeNew: null }
    const malformed: [string, unknown][] = [
      ['no sequenceID', { version: 1, kind: 0, operationID: 50, removeOld: null, removeNew: null }],
      ['no kind', { version: 1, sequenceID: next, operationID: 50, removeOld: null, removeNew: null }],
      ['no operationID', { version: 1, kind: 0, sequenceID: next, removeOld: null, removeNew: null }],
      ['no version', { kind: 0, sequenceID: next, operationID: 50, removeOld: null, removeNew: null }],
      ['entry version 2', { ...good, version: 2 }],
      ['unknown kind 42', { ...good, kind: 42 }],
      ['negative kind', { ...good, kind: -1 }],
      ['sequenceID 0', { ...good, sequenceID: 0 }],
      ['string removeOld', { ...good, kind: 1, removeOld: '1' }],
      ['fractional operationID', { ...good, operationID: 1.5 }],
      ['state that is not an object', { ...good, kind: 1, state: 'x' }],
      ['Success removing an unknown operation', { ...good, kind: 1, removeNew: 999 }],
      [
        'Outputs of an unknown operation',
        { ...good, kind: 4, removeNew: 999, state: resourceState(stack, 'x') },
      ],
      ['RefreshSuccess of an unknown operation', { ...good, kind: 3, removeNew: 999, isRefresh: true }],
    ]
    for (const [what, entry] of malformed) {
      const error = await assertClientError(sendJournal(cli, update, [entry]), 400).catch((e: unknown) => {
        throw new Error(`${what}: ${String(e)}`)
      })
      assert.doesNotMatch(error.apiMessage, /TypeError|undefined is not|Cannot read/, what)
    }
    // A batch whose last entry is bad applies none of its good entries (the CLI resends or fails the whole batch).
    const ghost = resourceState(stack, 'ghost')
    const ghostOp = journal.create(ghost)
    journal.entry({ kind: 4, operationID: ++journal.op, removeNew: 999, state: ghost })
    await assertClientError(sendJournal(cli, update, journal.take()), 400)
    // Not JSON, or not a JournalEntries object.
    await assertApiError(
      cli.call('PATCH', `${update.path}/journalentries`, {
        auth: leaseAuth(update),
        gzip: true,
        rawBody: Buffer.from('{"entries":['),
      }),
      400,
    )
    await assertClientError(
      cli.call('PATCH', `${update.path}/journalentries`, {
        auth: leaseAuth(update),
        gzip: true,
        body: { entries: 'x' },
      }),
      400,
    )

    // The same sequence ids with other content are accepted: nothing of the refused batches was stored.
    const writer = new JournalWriter({ seq: journal.seq - 3, op: ghostOp - 1 })
    writer.create(resourceState(stack, 'real'))
    // RegisterResourceOutputs of the root stack, created by operation 1 (journaledUpdate).
    writer.entry({
      kind: 4,
      operationID: ++writer.op,
      removeNew: 1,
      state: { urn: rootUrn(stack), custom: false, type: 'pulumi:pulumi:Stack', outputs: { ok: true } },
    })
    await sendJournal(cli, update, writer.take())
    await complete(cli, update)
    const { json } = await exportOf(cli, stack)
    assert.deepEqual(names((json.deployment.resources ?? []).map((r) => r.urn as string)), [
      `web-${stack.stack}`,
      'real',
    ])
    assert.deepEqual(json.deployment.resources?.[0]?.outputs, { ok: true })
  })

  it('refuses journal entries whose indices point outside the base state, with their whole batch, at the request', async () => {
    const { stack, update, journal } = await journaledUpdate()
    journal.create(resourceState(stack, 'a'))
    journal.create(resourceState(stack, 'b'))
    await sendJournal(cli, update, journal.take())
    await complete(cli, update)

    // The next update's base has three resources: the root stack, a and b.
    const next = await createAndStart(cli, stack)
    const writer = new JournalWriter()
    writer.secretsManager(stack)
    await sendJournal(cli, next, writer.take())
    const seq = writer.seq + 1
    const base = { version: 1, sequenceID: seq, removeOld: null, removeNew: null }
    const outside: [string, Record<string, unknown>][] = [
      ['Success removeOld 3', { ...base, kind: 1, operationID: 7, removeOld: 3 }],
      ['Success removeOld -1', { ...base, kind: 1, operationID: 7, removeOld: -1 }],
      ['Success deleteOld 99', { ...base, kind: 1, operationID: 7, deleteOld: 99 }],
      ['Success pendingReplacementOld 3', { ...base, kind: 1, operationID: 7, pendingReplacementOld: 3 }],
      ['RefreshSuccess removeOld 3', { ...base, kind: 3, operationID: 7, removeOld: 3, isRefresh: true }],
      [
        'Outputs removeOld 4',
        { ...base, kind: 4, operationID: 7, removeOld: 4, state: resourceState(stack, 'a') },
      ],
      [
        'a state whose urn is not a URN',
        { ...base, kind: 1, operationID: 7, state: { ...resourceState(stack, 'c'), urn: 'c' } },
      ],
      [
        'a state whose parent is not a URN',
        { ...base, kind: 1, operationID: 7, state: resourceState(stack, 'c', { parent: 'urn:pulumi:x' }) },
      ],
      [
        'a state with a malformed provider reference',
        {
          ...base,
          kind: 1,
          operationID: 7,
          state: resourceState(stack, 'c', { provider: 'not-a-reference' }),
        },
      ],
    ]
    for (const [what, entry] of outside) {
      const error = await assertClientError(sendJournal(cli, next, [entry]), 400).catch((e: unknown) => {
        throw new Error(`${what}: ${String(e)}`)
      })
      assert.match(error.apiMessage, /outside the base state|provider reference|not a valid URN/, what)
    }
    // A good delete and a bad index in one batch: neither is applied nor logged.
    const del = { ...base, kind: 0, operationID: 8 }
    const done = { ...base, sequenceID: seq + 1, kind: 1, operationID: 8, removeOld: 2 }
    await assertClientError(
      sendJournal(cli, next, [del, done, { ...done, sequenceID: seq + 2, removeOld: 5 }]),
      400,
    )
    // After a Write entry, indices refer to its snapshot: one resource here.
    const snapshot = { resources: [resourceState(stack, 'only')] }
    const write = { ...base, kind: 5, operationID: 0, newSnapshot: snapshot }
    await assertClientError(sendJournal(cli, next, [write, { ...done, removeOld: 1 }]), 400)
    // The same sequence ids with valid indices are accepted: delete b (index 2 of the base).
    await sendJournal(cli, next, [del, done])
    await complete(cli, next)
    assert.deepEqual(names(await resourceUrns(cli, stack)), [`web-${stack.stack}`, 'a'])
  })

  it('refuses a verbatim or full checkpoint that is not a deployment with 400 and keeps the last good one', async () => {
    const { stack, update, text: good } = await checkpointedUpdate('good')
    const notDeployments = [
      '{"version":99,"deployment":{}}',
      '{"version":3}',
      '{"version":3,"deployment":[]}',
      '{"version":"3","deployment":{}}',
      '{"version":3,"deployment":{"resources":{}}}',
      '{"version":3,"features":"x","deployment":{}}',
    ]
    for (const text of notDeployments) {
      await assertClientError(patchUpdate(cli, update, 'checkpointverbatim', verbatimBody(text, 2)), 400)
      const full = `{"isInvalid":false,${text.slice(1)}`
      await assertClientError(patchUpdate(cli, update, 'checkpoint', Buffer.from(full)), 400)
    }
    await assertClientError(
      patchUpdate(cli, update, 'checkpointverbatim', Buffer.from('{"version":3,"untypedDeployment":{')),
      400,
    )
    await assertClientError(patchUpdate(cli, update, 'checkpointverbatim', verbatimBody(good, 0)), 400)
    await complete(cli, update)
    assert.equal((await exportOf(cli, stack)).raw.toString('utf8'), good.toString('utf8'))
  })

  it('a delta whose hash-verified result is not a deployment cannot wedge the stack', async () => {
    // Deltas are not re-validated per upload (only hashed); the final state is, and must not leave the stack locked.
    const stack = { org: 'acme', project: 'web', stack: `bad${++counter}` }
    await createStack(cli, stack)
    const text = Buffer.from(
      '{"version":3,"deployment":{"manifest":{"time":"2026-01-01T00:00:00Z","magic":"","version":""},"metadata":{},' +
        '"resources":[{"urn":"urn:pulumi:x::web::t:index:R::kept","custom":true,"type":"t:index:R"}]}}',
    )
    const first = await createAndStart(cli, stack, { journal: false })
    await patchUpdate(cli, first, 'checkpointverbatim', verbatimBody(text, 1))
    await complete(cli, first)

    const update = await createAndStart(cli, stack, { journal: false })
    await patchUpdate(cli, update, 'checkpointverbatim', verbatimBody(text, 1))
    const brokenVersion = `[{"Span":{"uri":"","start":{"line":1,"column":1,"offset":11},"end":{"line":1,"column":1,"offset":12}},"NewText":"99"}]`
    const broken = Buffer.concat([text.subarray(0, 11), Buffer.from('99'), text.subarray(12)])
    await patchUpdate(cli, update, 'checkpointdelta', deltaBody(brokenVersion, sha256Hex(broken), 2))
    await assertClientError(complete(cli, update), 400)

    // The update is over (failed), the stack is free and still exports its last good state.
    const status = await cli.call<{ status: string }>('GET', update.path)
    assert.equal(status.body.status, 'failed')
    assert.equal((await exportOf(cli, stack)).raw.toString('utf8'), text.toString('utf8'))
    const next = await createAndStart(cli, stack)
    assert.equal(next.version, 3)
    await complete(cli, next)
  })

  it('refuses numbers outside the safe integer range, and sequence numbers that skip ahead, without poisoning the update', async () => {
    const { stack, update, text } = await checkpointedUpdate('one')
    const second = Buffer.from(text.toString('utf8').replace('::one', '::two'))
    const edits = JSON.stringify([
      {
        Span: {
          uri: '',
          start: { line: 1, column: 1, offset: text.indexOf('::one') + 2 },
          end: { line: 1, column: 1, offset: text.indexOf('::one') + 5 },
        },
        NewText: 'two',
      },
    ])
    const hash = sha256Hex(second)
    const delta = (seq: string) =>
      Buffer.from(
        `{"version":3,"checkpointHash":"${hash}","sequenceNumber":${seq},"deploymentDelta":${edits}}`,
      )
    for (const seq of ['1e20', '9007199254740993', '3', '2.5', '-2', '0']) {
      await assertClientError(patchUpdate(cli, update, 'checkpointdelta', delta(seq)), 400).catch(
        (e: unknown) => {
          throw new Error(`delta sequenceNumber ${seq}: ${String(e)}`)
        },
      )
    }
    for (const seq of ['1e20', '9007199254740993', '3']) {
      await assertClientError(
        patchUpdate(
          cli,
          update,
          'checkpointverbatim',
          Buffer.from(`{"version":3,"untypedDeployment":${text},"sequenceNumber":${seq}}`),
        ),
        400,
      )
    }
    // None of them moved the sequence: the CLI's next real delta (sequence 2) is accepted.
    await patchUpdate(cli, update, 'checkpointdelta', delta('2'))

    const lease = { auth: leaseAuth(update) }
    await assertClientError(
      cli.call('POST', `${update.path}/renew_lease`, {
        ...lease,
        rawBody: Buffer.from('{"token":"","duration":1e20}'),
      }),
      400,
    )
    const huge = `/api/stacks/${stack.org}/${stack.project}/${stack.stack}`
    for (const path of [
      `${huge}/updates?page=1e20`,
      `${huge}/updates?page=99999999999999999999`,
      `${huge}/updates?pageSize=-1`,
      `${huge}/updates?pageSize=0x10`,
      `${huge}/updates/1e3`,
      `${huge}/updates/99999999999999999999`,
      `${huge}/export/99999999999999999999`,
      `${update.path}/events?continuationToken=1e20`,
      `${update.path}/events?continuationToken=-7`,
    ]) {
      await assertClientError(cli.call('GET', path), 400).catch((e: unknown) => {
        throw new Error(`GET ${path}: ${String(e)}`)
      })
    }
    await complete(cli, update)
    assert.equal((await exportOf(cli, stack)).raw.toString('utf8'), second.toString('utf8'))

    // A journal entry with a sequence id beyond the safe range is refused like any other malformed entry.
    const { update: journaled, journal } = await journaledUpdate()
    const entry = JSON.stringify({
      version: 1,
      kind: 0,
      sequenceID: 1,
      operationID: 9,
      removeOld: null,
      removeNew: null,
    })
    for (const big of ['1e20', '9007199254740993']) {
      await assertClientError(
        cli.call('PATCH', `${journaled.path}/journalentries`, {
          auth: leaseAuth(journaled),
          gzip: true,
          rawBody: Buffer.from(`{"entries":[${entry.replace('"sequenceID":1', `"sequenceID":${big}`)}]}`),
        }),
        400,
      )
    }
    journal.create(resourceState(stack, 'after'))
    await sendJournal(cli, journaled, journal.take())
    await complete(cli, journaled)
    const started = await cli.call('POST', `${huge}/update`, { body: {} })
    await assertClientError(
      cli.call('POST', `${huge}/update/${(started.body as { updateID: string }).updateID}`, {
        rawBody: Buffer.from('{"journalVersion":1e20}'),
      }),
      400,
    )
  })

  it(`answers 413 to a body declared larger than the limit (${BODY_LIMIT_BYTES} bytes) before reading it`, async () => {
    const { update } = await journaledUpdate()
    const answer = await declaredLength(
      server.url,
      `${update.path}/journalentries`,
      update.token,
      BODY_LIMIT_BYTES + 1,
      Buffer.from('{"entries":['),
    )
    assert.equal(answer.status, 413)
    assert.equal(JSON.parse(answer.body).code, 413)
    await complete(cli, update)
  })

  it('refuses corrupt and truncated gzip bodies with 400', async () => {
    const { stack, update } = await journaledUpdate()
    const send = (raw: Buffer) =>
      cli.call('PATCH', `${update.path}/journalentries`, {
        auth: leaseAuth(update),
        rawBody: raw,
        headers: { 'Content-Encoding': 'gzip' },
      })
    await assertApiError(send(Buffer.from('this is not gzip at all')), 400)
    const valid = gzipSync(Buffer.from(JSON.stringify({ entries: [] })))
    await assertApiError(send(valid.subarray(0, valid.length - 6)), 400)
    const flipped = Buffer.from(valid)
    flipped[flipped.length - 5] = (flipped[flipped.length - 5] ?? 0) ^ 0xff // corrupt the CRC/size trailer
    await assertApiError(send(flipped), 400)
    await complete(cli, update)
    assert.deepEqual(names(await resourceUrns(cli, stack)), [`web-${stack.stack}`])
  })

  it('answers 413 to a gzip bomb on journalentries and keeps serving the update', async () => {
    const { stack, update, journal } = await journaledUpdate()
    // ~0.6 MB on the wire, more than the limit once inflated: one small gzip member repeated (RFC 1952 §2.2).
    const member = gzipSync(Buffer.alloc(1024 * 1024, 0x20))
    const members = BODY_LIMIT_BYTES / (1024 * 1024) + 8
    const bomb = Buffer.concat([
      gzipSync(Buffer.from('{"entries":[')),
      ...Array.from({ length: members }, () => member),
    ])
    assert.ok(bomb.length < 2 * 1024 * 1024)
    await assertApiError(
      cli.call('PATCH', `${update.path}/journalentries`, {
        auth: leaseAuth(update),
        rawBody: bomb,
        headers: { 'Content-Encoding': 'gzip' },
      }),
      413,
    )
    // The server is alive and the update goes on.
    journal.create(resourceState(stack, 'after-bomb'))
    await sendJournal(cli, update, journal.take())
    await complete(cli, update)
    assert.deepEqual(names(await resourceUrns(cli, stack)), [`web-${stack.stack}`, 'after-bomb'])
  })

  it('answers 404 to an unknown update kind in the path', async () => {
    const { stack, update } = await journaledUpdate()
    const base = stackPath(stack)
    await assertApiError(cli.call('POST', `${base}/frobnicate`, { body: {} }), 404)
    const wrong = `${base}/frobnicate/${update.id}`
    await assertApiError(cli.call('GET', wrong), 404)
    await assertApiError(cli.call('POST', wrong, { body: {} }), 404)
    await assertApiError(cli.call('GET', `${wrong}/events`), 404)
    await assertApiError(cli.call('POST', `${wrong}/cancel`), 404)
    const lease = { auth: leaseAuth(update) }
    await assertApiError(
      cli.call('PATCH', `${wrong}/journalentries`, { ...lease, gzip: true, body: { entries: [] } }),
      404,
    )
    await assertApiError(
      cli.call('POST', `${wrong}/events/batch`, { ...lease, gzip: true, body: { events: [] } }),
      404,
    )
    await assertApiError(
      cli.call('POST', `${wrong}/renew_lease`, { ...lease, body: { token: '', duration: 300 } }),
      404,
    )
    await assertApiError(
      cli.call('POST', `${wrong}/complete`, { ...lease, body: { status: 'succeeded' } }),
      404,
    )
    // Older CLIs used the real kind in update paths (client.go :: getUpdatePath now always says "update").
    await cli.call('PATCH', `${base}/update/${update.id}/journalentries`, {
      ...lease,
      gzip: true,
      body: { entries: [] },
    })
    await complete(cli, update)
  })
})
