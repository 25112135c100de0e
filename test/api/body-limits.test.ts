// Per-route body limits (README "Request size limits"): each kind of route accepts what the CLI sends there, raw and
// after gzip inflation, and answers anything larger with 413 naming the limit and the option that raises it. Nothing
// of a refused request is stored, and a running update goes on.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { gzipSync } from 'node:zlib'
import type { CliClient } from '../support/cli-client.js'
import { useTestServer } from '../support/test-server.js'
import {
  complete,
  createAndStart,
  leaseAuth,
  sendEvents,
  sendJournal,
  stackPath,
} from '../support/update-driver.js'
import {
  assertClientError,
  createStack,
  JournalWriter,
  patchUpdate,
  resourceState,
  resourceUrns,
  rootUrn,
  verbatimBody,
} from '../support/update-uploads.js'

const KiB = 1024
const STATE = 2048 * KiB
const JOURNAL = 64 * KiB
const EVENTS = 64 * KiB
const SECRETS = 64 * KiB
const JSON_BODY = 16 * KiB

const b64 = (n: number) => Buffer.alloc(n, 1).toString('base64')
// Padding a body compresses to almost nothing, so gzip also checks the limit after inflation.
const padding = (n: number) => 'x'.repeat(n)

async function assertTooLarge(promise: Promise<unknown>, flag: string) {
  const error = await assertClientError(promise, 413)
  assert.match(error.apiMessage, new RegExp(`limited to \\d+ bytes.*-${flag} \\(PULUMI_BACKEND_`))
}

describe('request body limits per route', () => {
  let cli: CliClient
  let counter = 0
  useTestServer(
    {
      args: [
        `-max-body-size=${STATE}`,
        `-max-journal-batch-size=${JOURNAL}`,
        `-max-event-batch-size=${EVENTS}`,
        `-max-secrets-body-size=${SECRETS}`,
        `-max-json-body-size=${JSON_BODY}`,
      ],
    },
    (started) => {
      cli = started.client
    },
  )
  const nextStack = () => ({ org: 'acme', project: 'web', stack: `lim${++counter}` })

  it('secrets routes: a value past -max-secrets-body-size is 413, raw or gzip-inflated', async () => {
    const stack = nextStack()
    await createStack(cli, stack)
    const path = stackPath(stack)
    await cli.call('POST', `${path}/encrypt`, { body: { plaintext: b64(SECRETS / 2) } })
    for (const gzip of [false, true]) {
      await assertTooLarge(
        cli.call('POST', `${path}/encrypt`, { body: { plaintext: b64(SECRETS) }, gzip }),
        'max-secrets-body-size',
      )
      await assertTooLarge(
        cli.call('POST', `${path}/decrypt`, { body: { ciphertext: b64(SECRETS) }, gzip }),
        'max-secrets-body-size',
      )
      const many = Array.from({ length: 40 }, () => b64(2 * KiB))
      await assertTooLarge(
        cli.call('POST', `${path}/batch-encrypt`, { body: { plaintexts: many }, gzip }),
        'max-secrets-body-size',
      )
      await assertTooLarge(
        cli.call('POST', `${path}/batch-decrypt`, { body: { ciphertexts: many }, gzip }),
        'max-secrets-body-size',
      )
    }
  })

  it('small JSON routes: past -max-json-body-size is 413 and creates nothing', async () => {
    const stack = nextStack()
    await assertTooLarge(
      cli.call('POST', `/api/stacks/${stack.org}/${stack.project}`, {
        body: { stackName: stack.stack, tags: { big: padding(JSON_BODY) } },
      }),
      'max-json-body-size',
    )
    await assertClientError(cli.call('GET', stackPath(stack)), 404)
    await createStack(cli, stack)
    const path = stackPath(stack)
    await assertTooLarge(
      cli.call('PATCH', `${path}/tags`, { body: { big: padding(JSON_BODY) }, gzip: true }),
      'max-json-body-size',
    )
    await assertTooLarge(
      cli.call('POST', `${path}/rename`, { body: { newName: 'x', pad: padding(JSON_BODY) } }),
      'max-json-body-size',
    )
    await assertTooLarge(
      cli.call('POST', `${path}/update`, {
        body: { config: { 'web:big': { string: padding(JSON_BODY), secret: false } } },
        gzip: true,
      }),
      'max-json-body-size',
    )
    const history = await cli.call<{ updates: unknown[] }>('GET', `${path}/updates`)
    assert.deepEqual(history.body.updates, [])
  })

  it('journal batches: several entries past -max-journal-batch-size are 413 (the CLI splits), one entry may be as large as a checkpoint', async () => {
    const stack = nextStack()
    await createStack(cli, stack)
    const update = await createAndStart(cli, stack)
    const journal = new JournalWriter()
    journal.secretsManager(stack)
    journal.create({ urn: rootUrn(stack), custom: false, type: 'pulumi:pulumi:Stack' })
    await sendJournal(cli, update, journal.take())

    const start = { seq: journal.seq, op: journal.op }
    journal.create(resourceState(stack, 'a', { outputs: { pad: padding(JOURNAL / 2) } }))
    journal.create(resourceState(stack, 'b', { outputs: { pad: padding(JOURNAL / 2) } }))
    const batch = journal.take()
    await assertTooLarge(sendJournal(cli, update, batch), 'max-journal-batch-size')
    // journal/snapshot.go :: sendBatch halves the batch until it fits, down to single entries.
    for (const entry of batch) await sendJournal(cli, update, [entry])
    assert.equal(journal.seq, start.seq + 4)

    const huge = new JournalWriter({ seq: journal.seq, op: journal.op })
    huge.create(resourceState(stack, 'huge', { outputs: { pad: padding(STATE / 2) } }))
    const [begin, success] = huge.take()
    await sendJournal(cli, update, [begin])
    await sendJournal(cli, update, [success])
    await assertTooLarge(sendJournal(cli, update, [{ ...success, pad: padding(STATE) }]), 'max-body-size')
    await complete(cli, update)
    const names = (await resourceUrns(cli, stack)).map((u) => u.split('::').at(-1))
    assert.deepEqual(names, [`web-${stack.stack}`, 'a', 'b', 'huge'])
  })

  it('event batches past -max-event-batch-size and checkpoints past -max-body-size are 413; the update goes on', async () => {
    const stack = nextStack()
    await createStack(cli, stack)
    const update = await createAndStart(cli, stack, { journal: false })
    const event = (sequence: number, pad: number) => ({
      sequence,
      timestamp: 1,
      diagnosticEvent: { message: padding(pad), color: 'raw', severity: 'info' },
    })
    for (const gzip of [false, true]) {
      await assertTooLarge(
        cli.call('POST', `${update.path}/events/batch`, {
          auth: leaseAuth(update),
          gzip,
          body: { events: [event(0, EVENTS)] },
        }),
        'max-event-batch-size',
      )
    }
    await sendEvents(cli, update, [event(0, EVENTS / 2)])
    const text = JSON.stringify({
      version: 3,
      deployment: {
        manifest: { time: '2026-01-01T00:00:00Z', magic: '', version: '' },
        metadata: { pad: padding(STATE) },
      },
    })
    await assertTooLarge(
      patchUpdate(cli, update, 'checkpointverbatim', verbatimBody(text, 1)),
      'max-body-size',
    )
    await assertTooLarge(
      cli.call('POST', `${stackPath(stack)}/import`, { rawBody: Buffer.from(text), gzip: true }),
      'max-body-size',
    )
    await patchUpdate(
      cli,
      update,
      'checkpointverbatim',
      verbatimBody(text.replace(padding(STATE), 'small'), 1),
    )
    await complete(cli, update)
    const events = await cli.call<{ events: unknown[] }>('GET', `${update.path}/events`)
    assert.equal(events.body.events.length, 1)
  })

  it('a raw body over the limit is refused from its Content-Length, before it is read', async () => {
    const stack = nextStack()
    await createStack(cli, stack)
    const raw = gzipSync(Buffer.from(JSON.stringify({ plaintext: b64(SECRETS * 4) })), { level: 0 })
    await assertTooLarge(
      cli.call('POST', `${stackPath(stack)}/encrypt`, {
        rawBody: raw,
        headers: { 'Content-Encoding': 'gzip' },
      }),
      'max-secrets-body-size',
    )
  })
})

describe('secrets of several megabytes under the default limits', () => {
  let cli: CliClient
  useTestServer({}, (started) => {
    cli = started.client
  })

  it('encrypts and decrypts a 9 MiB value (its base64 once overflowed the validator: 500)', async () => {
    const stack = { org: 'acme', project: 'web', stack: 'big' }
    await createStack(cli, stack)
    const plaintext = Buffer.alloc(9 * 1024 * 1024, 7)
    const encrypted = await cli.call<{ ciphertext: string }>('POST', `${stackPath(stack)}/encrypt`, {
      body: { plaintext: plaintext.toString('base64') },
      gzip: true,
    })
    const decrypted = await cli.call<{ plaintext: string }>('POST', `${stackPath(stack)}/decrypt`, {
      body: { ciphertext: encrypted.body.ciphertext },
      gzip: true,
    })
    assert.ok(Buffer.from(decrypted.body.plaintext, 'base64').equals(plaintext))
    await assertTooLarge(
      cli.call('POST', `${stackPath(stack)}/encrypt`, {
        body: { plaintext: b64(16 * 1024 * 1024) },
        gzip: true,
      }),
      'max-secrets-body-size',
    )
  })
})
