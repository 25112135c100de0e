import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { StartupError } from '../../src/app.js'
import { loadConfig } from '../../src/config/load-config.js'
import { SqlMetaStore } from '../../src/db/meta-store.js'
import { isPostgresUrl, openDatabase } from '../../src/db/open-database.js'
import { migrateSecretsKeyCommand } from '../../src/secrets/migrate-command.js'
import { LocalAwsKms, useLocalKmsEnvironment } from '../support/aws-kms-server.js'
import { startTestServer, testDatabase } from '../support/test-server.js'

const KEY_A = 'ab'.repeat(32) // the test server's default -master-key
const KEY_B = '12'.repeat(32)
const KEY_C = '9f'.repeat(32)
const STACKS = ['alpha', 'bravo', 'charlie']
const ESC_ENV = '/api/esc/environments/acme/app/keys'
// PostgreSQL runs put a password in the -db URL (the test cluster trusts loopback, so any password logs in).
const DB_PASSWORD = 'pw-never-printed'
function withPassword(db: string): string {
  if (!isPostgresUrl(db)) return db
  const url = new URL(db)
  url.password = DB_PASSWORD
  return url.toString()
}

describe('-migrate-secrets-key end to end (real ciphertexts, resumable)', () => {
  const kms = new LocalAwsKms()
  let dir: string
  const ciphertexts = new Map<string, string>()

  /** The command line an operator runs (the server is stopped), through the same code main runs. */
  async function migrate(args: string[]): Promise<{ code: number; output: string }> {
    const parsed = loadConfig(
      [`-db=${withPassword(await testDatabase(dir))}`, '-migrate-secrets-key', ...args],
      {},
    )
    assert.equal(parsed.kind, 'config')
    if (parsed.kind !== 'config') throw new Error('help')
    const lines: string[] = []
    const code = await migrateSecretsKeyCommand(parsed.config, (line) => lines.push(line))
    const output = lines.join('\n')
    assert.doesNotMatch(output, new RegExp(DB_PASSWORD), 'the database password is never printed')
    return { code, output }
  }

  /** Starts a server with `args` and checks every recorded ciphertext decrypts to its plaintext. */
  async function assertSecretsReadable(args: string[]): Promise<void> {
    const server = await startTestServer({ dir, args })
    try {
      for (const [stack, ciphertext] of ciphertexts) {
        const answer = await server.client.call<{ plaintext: string }>(
          'POST',
          `/api/stacks/acme/web/${stack}/decrypt`,
          { body: { ciphertext } },
        )
        assert.equal(Buffer.from(answer.body.plaintext, 'base64').toString(), `secret of ${stack}`)
      }
      // The ESC organization key moves with the stack keys: the environment's secret still decrypts.
      const definition = await server.client.call('GET', `${ESC_ENV}/decrypt`)
      assert.match(definition.raw.toString(), /fn::secret: esc-secret-of-acme/)
    } finally {
      await server.close()
    }
  }

  async function metaValue(key: string): Promise<string | undefined> {
    const database = await openDatabase(await testDatabase(dir), { maxConnections: 1 })
    try {
      return await new SqlMetaStore(database.db).get(key)
    } finally {
      await database.close()
    }
  }

  async function assertRefused(args: string[], message: RegExp): Promise<void> {
    await assert.rejects(startTestServer({ dir, args }), (error: unknown) => {
      assert.ok(error instanceof StartupError, String(error))
      assert.match(error.message, message)
      return true
    })
  }

  before(async () => {
    await kms.start()
    useLocalKmsEnvironment(kms)
    kms.createKey('pulumi')
    dir = mkdtempSync(join(tmpdir(), 'pulumi-backend-migrate-'))
    const server = await startTestServer({ dir })
    try {
      for (const stack of STACKS) {
        await server.client.call('POST', '/api/stacks/acme/web', { body: { stackName: stack } })
        const answer = await server.client.call<{ ciphertext: string }>(
          'POST',
          `/api/stacks/acme/web/${stack}/encrypt`,
          {
            body: { plaintext: Buffer.from(`secret of ${stack}`).toString('base64') },
          },
        )
        ciphertexts.set(stack, answer.body.ciphertext)
      }
      await server.client.call('POST', '/api/esc/environments/acme', {
        body: { project: 'app', name: 'keys' },
      })
      await server.client.call('PATCH', ESC_ENV, {
        rawBody: Buffer.from('values:\n  s:\n    fn::secret: esc-secret-of-acme\n'),
      })
    } finally {
      await server.close()
    }
  })
  after(async () => {
    await kms.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const toKms = ['-secrets-provider=awskms', '-kms-key=alias/pulumi']

  it('local → awskms: interrupted by a KMS outage, then resumed to completion', async () => {
    kms.failEncryptAfter = 1
    const interrupted = await migrate([...toKms, '-old-secrets-provider=local', `-old-master-key=${KEY_A}`])
    assert.equal(interrupted.code, 1, interrupted.output)
    assert.match(interrupted.output, /re-wrapped 1: stack/)
    assert.match(interrupted.output, /key migration stopped: .*KMSInternalException/)
    assert.match(interrupted.output, /Run the same command again to resume/)

    kms.failEncryptAfter = undefined
    const resumed = await migrate([...toKms, '-old-secrets-provider=local', `-old-master-key=${KEY_A}`])
    assert.equal(resumed.code, 0, resumed.output)
    assert.match(resumed.output, /re-wrapped 4: ESC organization acme/)
    assert.match(
      resumed.output,
      /done: 4 keys now wrapped by AWS KMS key alias\/pulumi \(3 re-wrapped now, 1 by an earlier run\)/,
    )

    await assertSecretsReadable(toKms)
    await assertRefused([], /wrapped by the awskms provider, not local/)
    // The old master key became the KMS-wrapped server key, so lease and refresh tokens stay valid.
    assert.equal(await metaValue('awskms_server_key').then((v) => v !== undefined), true)
  })

  it('running it again after completion changes nothing and succeeds', async () => {
    const again = await migrate([...toKms, '-old-secrets-provider=local', `-old-master-key=${KEY_A}`])
    assert.equal(again.code, 0, again.output)
    assert.match(again.output, /canary already opens with AWS KMS key alias\/pulumi/)
    assert.match(again.output, /\(0 re-wrapped now, 4 by an earlier run\)/)
  })

  it('refuses an old key that is not the current one, writing nothing', async () => {
    const wrong = await migrate([
      `-master-key=${KEY_B}`,
      '-old-secrets-provider=local',
      `-old-master-key=${KEY_C}`,
    ])
    assert.equal(wrong.code, 1)
    assert.match(wrong.output, /does not open this database's key canary/)
    await assertSecretsReadable(toKms)
  })

  it('awskms → local with a new master key, then a local rotation', async () => {
    const back = await migrate([
      `-master-key=${KEY_B}`,
      '-old-secrets-provider=awskms',
      '-old-kms-key=alias/pulumi',
    ])
    assert.equal(back.code, 0, back.output)
    await assertSecretsReadable([`-master-key=${KEY_B}`])

    const rotated = await migrate([
      `-master-key=${KEY_C}`,
      '-old-secrets-provider=local',
      `-old-master-key=${KEY_B}`,
    ])
    assert.equal(rotated.code, 0, rotated.output)
    await assertSecretsReadable([`-master-key=${KEY_C}`])
    await assertRefused([`-master-key=${KEY_B}`], /does not match the one this database was created with/)
  })
})
