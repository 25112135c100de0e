import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { StartupError } from '../../src/app.js'
import { LocalAwsKms, useLocalKmsEnvironment } from '../support/aws-kms-server.js'
import type { CliClient } from '../support/cli-client.js'
import { startTestServer } from '../support/test-server.js'

const STACK = '/api/stacks/acme/web/dev'

async function encrypt(cli: CliClient, text: string): Promise<string> {
  const answer = await cli.call<{ ciphertext: string }>('POST', `${STACK}/encrypt`, {
    body: { plaintext: Buffer.from(text).toString('base64') },
  })
  return answer.body.ciphertext
}

async function decrypt(cli: CliClient, ciphertext: string): Promise<string> {
  const answer = await cli.call<{ plaintext: string }>('POST', `${STACK}/decrypt`, { body: { ciphertext } })
  return Buffer.from(answer.body.plaintext, 'base64').toString()
}

describe('awskms secrets provider (official @aws-sdk/client-kms against a local KMS)', () => {
  const kms = new LocalAwsKms()
  let dir: string
  let keyArn: string
  const kmsArgs = (key: string) => ['-secrets-provider=awskms', `-kms-key=${key}`]

  before(async () => {
    await kms.start()
    useLocalKmsEnvironment(kms)
    keyArn = kms.createKey('pulumi')
    kms.createKey('other')
    dir = mkdtempSync(join(tmpdir(), 'pulumi-backend-awskms-'))
  })
  after(async () => {
    await kms.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('wraps stack keys with KMS (encryption context bound) and reads them back after a restart', async () => {
    const first = await startTestServer({ dir, args: kmsArgs('alias/pulumi') })
    let ciphertext: string
    try {
      await first.client.call('POST', '/api/stacks/acme/web', { body: { stackName: 'dev' } })
      ciphertext = await encrypt(first.client, 'hunter2')
      assert.equal(await decrypt(first.client, ciphertext), 'hunter2')
    } finally {
      await first.close()
    }
    const encrypts = kms.calls.filter((c) => c.operation === 'Encrypt')
    assert.equal(encrypts.length, 3, 'the canary, the server key and the one stack key')
    kms.calls.length = 0
    // Same key by its ARN: a restarted server has an empty cache and must ask KMS to unwrap.
    const second = await startTestServer({ dir, args: kmsArgs(keyArn) })
    try {
      assert.equal(await decrypt(second.client, ciphertext), 'hunter2')
      assert.equal(await decrypt(second.client, ciphertext), 'hunter2')
      assert.deepEqual(
        kms.calls.map((c) => c.operation),
        ['Decrypt', 'Decrypt', 'Decrypt'],
        'the canary, the server key, and the stack key once (then cached)',
      )
    } finally {
      await second.close()
    }
  })

  it('refuses to start with another KMS key, or with the local provider, saying what to do', async () => {
    await assert.rejects(startTestServer({ dir, args: kmsArgs('alias/other') }), (error: unknown) => {
      assert.ok(error instanceof StartupError)
      assert.match(error.message, /AWS KMS key alias\/other does not open this database's key canary/)
      return true
    })
    await assert.rejects(startTestServer({ dir }), (error: unknown) => {
      assert.ok(error instanceof StartupError)
      assert.match(
        error.message,
        /wrapped by the awskms provider, not local; .*-migrate-secrets-key -old-secrets-provider=awskms/,
      )
      return true
    })
  })

  it('an unknown key or an unreachable KMS fails the start, naming the key and never a credential', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'pulumi-backend-awskms-fresh-'))
    try {
      await assert.rejects(
        startTestServer({ dir: fresh, args: kmsArgs('alias/missing') }),
        (error: unknown) => {
          assert.ok(error instanceof StartupError)
          assert.match(
            error.message,
            /cannot use AWS KMS key alias\/missing: NotFoundException: Key 'alias\/missing' does not exist/,
          )
          return true
        },
      )
      const endpoint = process.env.AWS_ENDPOINT_URL_KMS
      process.env.AWS_ENDPOINT_URL_KMS = 'http://127.0.0.1:9'
      try {
        await assert.rejects(
          startTestServer({ dir: fresh, args: kmsArgs('alias/pulumi') }),
          (error: unknown) => {
            assert.ok(error instanceof StartupError)
            assert.match(error.message, /^cannot use AWS KMS key alias\/pulumi: /)
            assert.doesNotMatch(error.message, /AKIDLOCALTEST|local-test-secret/)
            return true
          },
        )
      } finally {
        process.env.AWS_ENDPOINT_URL_KMS = endpoint
      }
    } finally {
      rmSync(fresh, { recursive: true, force: true })
    }
  })
})
