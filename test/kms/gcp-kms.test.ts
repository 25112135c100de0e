import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { StartupError } from '../../src/app.js'
import { loadConfig } from '../../src/config/load-config.js'
import { migrateSecretsKeyCommand } from '../../src/secrets/migrate-command.js'
import { LocalGcpKms } from '../support/gcp-kms-server.js'
import { startTestServer, testDatabase } from '../support/test-server.js'

const STACK = '/api/stacks/acme/web/dev'

describe('gcpkms secrets provider (official @google-cloud/kms over gRPC to a local KMS from its protos)', () => {
  const kms = new LocalGcpKms()
  let dir: string
  let key: string
  let otherKey: string
  const gcpArgs = (name: string) => [
    '-secrets-provider=gcpkms',
    `-kms-key=${name}`,
    `-kms-endpoint=${kms.endpoint}`,
  ]

  before(async () => {
    await kms.start()
    key = kms.createKey('pulumi')
    otherKey = kms.createKey('other')
    dir = mkdtempSync(join(tmpdir(), 'pulumi-backend-gcpkms-'))
  })
  after(async () => {
    await kms.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('wraps stack keys with Cloud KMS, reads them after a restart, and refuses another key', async () => {
    let ciphertext: string
    const first = await startTestServer({ dir, args: gcpArgs(key) })
    try {
      await first.client.call('POST', '/api/stacks/acme/web', { body: { stackName: 'dev' } })
      const encrypted = await first.client.call<{ ciphertext: string }>('POST', `${STACK}/encrypt`, {
        body: { plaintext: Buffer.from('hunter2').toString('base64') },
      })
      ciphertext = encrypted.body.ciphertext
    } finally {
      await first.close()
    }
    kms.calls.length = 0
    const second = await startTestServer({ dir, args: gcpArgs(key) })
    try {
      const decrypted = await second.client.call<{ plaintext: string }>('POST', `${STACK}/decrypt`, {
        body: { ciphertext },
      })
      assert.equal(Buffer.from(decrypted.body.plaintext, 'base64').toString(), 'hunter2')
      assert.deepEqual(
        kms.calls,
        ['Decrypt', 'Decrypt', 'Decrypt'],
        'the canary, the server key, then the stack key once',
      )
    } finally {
      await second.close()
    }
    await assert.rejects(startTestServer({ dir, args: gcpArgs(otherKey) }), (error: unknown) => {
      assert.ok(error instanceof StartupError)
      assert.match(
        error.message,
        /Cloud KMS key .*cryptoKeys\/other does not open this database's key canary/,
      )
      return true
    })
    await assert.rejects(
      startTestServer({ dir, args: gcpArgs(key.replace(/pulumi$/, 'missing')) }),
      (error: unknown) => {
        assert.ok(error instanceof StartupError)
        assert.match(
          error.message,
          /^cannot use Cloud KMS key .*cryptoKeys\/missing: 5 NOT_FOUND: CryptoKey .* not found\.$/,
        )
        return true
      },
    )
  })

  it('migrates gcpkms → local and back, keeping secrets readable', async () => {
    const db = await testDatabase(dir)
    const migrate = async (args: string[]) => {
      const parsed = loadConfig([`-db=${db}`, '-migrate-secrets-key', ...args], {})
      if (parsed.kind !== 'config') throw new Error('help')
      const lines: string[] = []
      const code = await migrateSecretsKeyCommand(parsed.config, (line) => lines.push(line))
      assert.equal(code, 0, lines.join('\n'))
    }
    const newKey = '5a'.repeat(32)
    await migrate([
      `-master-key=${newKey}`,
      '-old-secrets-provider=gcpkms',
      `-old-kms-key=${key}`,
      `-kms-endpoint=${kms.endpoint}`,
    ])
    const local = await startTestServer({ dir, args: [`-master-key=${newKey}`] })
    await local.close()
    await migrate([...gcpArgs(otherKey), '-old-secrets-provider=local', `-old-master-key=${newKey}`])
    const back = await startTestServer({ dir, args: gcpArgs(otherKey) })
    try {
      const stack = await back.client.call('GET', STACK)
      assert.equal(stack.status, 200)
    } finally {
      await back.close()
    }
  })
})
