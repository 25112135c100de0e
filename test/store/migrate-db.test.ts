// `pulumi-backend migrate-db`: a SQLite database filled by a real server (stacks, versions, history, events, keys,
// tokens, a running update's journal) is copied into a fresh database of each dialect, verified, and served from
// there: the same exports, history, secrets and tokens, and the running update finishes on the new database.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { migrateDb } from '../../src/db/migrate-db.js'
import { CliClient } from '../support/cli-client.js'
import { queryDatabase } from '../support/db-query.js'
import { startTestServer, type TestServer } from '../support/test-server.js'
import {
  complete,
  createAndStart,
  createEntries,
  historyResults,
  type RunningUpdate,
  type StackId,
  sendEvents,
  sendJournal,
  stackPath,
} from '../support/update-driver.js'
import { createStack, exportOf } from '../support/update-uploads.js'
import { DIALECTS } from './dialects.js'

const ROOT = new URL('../../', import.meta.url).pathname
const MASTER_KEY = 'ab'.repeat(32)
const done: StackId = { org: 'acme', project: 'migrate', stack: 'done' }
const running: StackId = { org: 'acme', project: 'migrate', stack: 'running' }

function cli(args: string[]) {
  const result = spawnSync(process.execPath, ['bin/pulumi-backend.js', 'migrate-db', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'test' },
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** What a client can observe of the migrated data. */
async function observe(client: CliClient, updateId: string) {
  const events = await client.call<{ events: unknown[] }>(
    'GET',
    `${stackPath(done)}/update/${updateId}/events`,
  )
  const history = await client.call('GET', `${stackPath(done)}/updates?pageSize=10&page=1`)
  return {
    export: (await exportOf(client, done)).raw.toString('utf8'),
    history: history.body,
    events: events.body.events,
    stacks: (await client.call<{ stacks: unknown[] }>('GET', '/api/user/stacks')).body.stacks.length,
  }
}

describe('migrate-db', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulumi-backend-migrate-'))
  const sourcePath = join(dir, 'source.db')
  let source: TestServer
  let ciphertext = ''
  let token = ''
  let inFlight: RunningUpdate
  let updateId = ''
  let expected: Awaited<ReturnType<typeof observe>>

  before(async () => {
    source = await startTestServer({ args: [`-db=${sourcePath}`] })
    const client = source.client
    await createStack(client, done)
    const update = await createAndStart(client, done)
    updateId = update.id
    await sendJournal(client, update, createEntries(done, 30, 2000))
    await sendEvents(
      client,
      update,
      Array.from({ length: 40 }, (_, i) => ({
        sequence: i,
        timestamp: i,
        diagnosticEvent: { message: `e${i}` },
      })),
    )
    await complete(client, update)
    const secret = await client.call<{ ciphertext: string }>('POST', `${stackPath(done)}/encrypt`, {
      body: { plaintext: Buffer.from('s3cr3t').toString('base64') },
    })
    ciphertext = secret.body.ciphertext
    token = await source.app.identity.createToken('migrated')
    await createStack(client, running)
    inFlight = await createAndStart(client, running)
    await sendJournal(client, inFlight, createEntries(running, 5).slice(0, 6))
    expected = await observe(client, updateId)
    await source.app.close()
  })
  after(async () => {
    await source?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  for (const dialect of DIALECTS) {
    describe(`into ${dialect.name}`, { skip: dialect.skip }, () => {
      let target = ''
      before(async () => {
        target = await dialect.target()
      })

      it('copies everything with progress output and verifies it', () => {
        const result = cli(['--from', sourcePath, '--to', target])
        assert.equal(result.code, 0, result.stderr)
        assert.match(result.stdout, /copying state_versions: \d+ rows/)
        assert.match(result.stdout, /engine_events: 40 rows, sha256 [0-9a-f]+… identical/)
        assert.match(result.stdout, /done: \d+ rows in \d+ tables copied and verified/)
      })

      it('serves the same data from the target: exports, history, events, secrets, tokens, running updates', async () => {
        const server = await startTestServer({ args: [`-db=${target}`, `-master-key=${MASTER_KEY}`] })
        try {
          assert.deepEqual(await observe(server.client, updateId), expected)
          const plain = await server.client.call<{ plaintext: string }>(
            'POST',
            `${stackPath(done)}/decrypt`,
            {
              body: { ciphertext },
            },
          )
          assert.equal(Buffer.from(plain.body.plaintext, 'base64').toString(), 's3cr3t')
          const user = await new CliClient(server.url, token).call<{ githubLogin: string }>(
            'GET',
            '/api/user',
          )
          assert.equal(user.body.githubLogin, 'alice')
          // The update that was running in the source carries on with the lease token its CLI holds.
          await sendJournal(server.client, inFlight, createEntries(running, 5).slice(6))
          await complete(server.client, inFlight)
          assert.deepEqual(await historyResults(server.client, running), [[1, 'succeeded']])
          const urns = (await exportOf(server.client, running)).json.deployment.resources?.length
          assert.equal(urns, 6)
        } finally {
          await server.close()
        }
      })

      it('refuses a non-empty target unless --force, which replaces its content', async () => {
        const refused = cli(['--from', sourcePath, '--to', target])
        assert.equal(refused.code, 1)
        assert.match(refused.stderr, /target database is not empty: .*--force/)
        assert.doesNotMatch(refused.stderr, /at \S+ \(/, 'no stack trace')
        const forced = cli(['--from', sourcePath, '--to', target, '--force'])
        assert.equal(forced.code, 0, forced.stderr)
        assert.match(forced.stdout, /--force: emptying the target/)
        assert.match(forced.stdout, /copied and verified/)
      })

      it('resumes after an interruption without --force and ends identical', async () => {
        const fresh = await dialect.target()
        await assert.rejects(
          migrateDb({
            from: sourcePath,
            to: fresh,
            force: false,
            progress: (line) => {
              // Interrupted in the middle of the copy, after some tables were written.
              if (line.startsWith('copying updates')) throw new Error('interrupted')
            },
          }),
          /interrupted/,
        )
        const partial = await queryDatabase<{ n: number }>(fresh, 'select count(*) as n from stacks')
        assert.equal(Number(partial[0]?.n), 2, 'the first tables were copied before the interruption')
        const result = cli(['--from', sourcePath, '--to', fresh])
        assert.equal(result.code, 0, result.stderr)
        assert.match(result.stdout, /resuming an interrupted migration/)
        assert.match(result.stdout, /copied and verified/)
      })
    })
  }

  it('refuses a missing source and bad arguments with a usage message', () => {
    const missing = cli(['--from', join(dir, 'nope.db'), '--to', join(dir, 'x.db')])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /source database .* does not exist/)
    const usage = cli(['--from', sourcePath])
    assert.equal(usage.code, 2)
    assert.match(usage.stderr, /usage: pulumi-backend migrate-db --from/)
  })
})
