import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { createApp, StartupError } from '../../src/app.js'
import { loadConfig } from '../../src/config/load-config.js'
import { assertApiError } from '../support/assert-api-error.js'
import type { CliClient } from '../support/cli-client.js'
import { queryDatabase } from '../support/db-query.js'
import { deploymentWith, exportDeployment, importDeployment, stackResource } from '../support/state.js'
import { startTestServer, type TestServer } from '../support/test-server.js'

const b64 = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64')

// pkg/secrets/service/manager.go :: serviceCrypter, over client.go :: EncryptValue/DecryptValue/Batch*.
async function encrypt(cli: CliClient, path: string, plaintext: Buffer): Promise<string> {
  const response = await cli.call<{ ciphertext: string }>('POST', `${path}/encrypt`, {
    body: { plaintext: b64(plaintext) },
  })
  return response.body.ciphertext
}

async function decrypt(cli: CliClient, path: string, ciphertext: string): Promise<Buffer> {
  const response = await cli.call<{ plaintext: string }>('POST', `${path}/decrypt`, { body: { ciphertext } })
  return Buffer.from(response.body.plaintext, 'base64')
}

async function batchDecrypt(cli: CliClient, path: string, ciphertexts: string[]) {
  const response = await cli.call<{ plaintexts: Record<string, string> }>('POST', `${path}/batch-decrypt`, {
    body: { ciphertexts },
    gzip: true,
  })
  return response.body.plaintexts
}

async function createStack(cli: CliClient, project: string, stackName: string): Promise<string> {
  await cli.call('POST', `/api/stacks/acme/${project}`, { body: { stackName } })
  return `/api/stacks/acme/${project}/${stackName}`
}

describe('service secrets provider', () => {
  let server: TestServer
  let cli: CliClient
  let stackA: string
  let stackB: string
  before(async () => {
    server = await startTestServer()
    cli = server.client
    stackA = await createStack(cli, 'web', 'a')
    stackB = await createStack(cli, 'web', 'b')
  })
  after(() => server.close())

  it('round-trips arbitrary binary plaintexts (the CLI encrypts a random 32-byte log key)', async () => {
    // pkg/engine/encryptedlog/writer.go :: PrepareKey sends 32 random bytes, rarely valid UTF-8.
    for (const plaintext of [randomBytes(32), Buffer.from([0, 0xff, 0xfe, 0x80, 0]), Buffer.alloc(0)]) {
      const ciphertext = await encrypt(cli, stackA, plaintext)
      assert.match(ciphertext, /^[A-Za-z0-9+/]+={0,2}$/, 'standard, padded base64 like Go []byte')
      assert.deepEqual(await decrypt(cli, stackA, ciphertext), plaintext)
    }
  })

  it('keeps the order of batch-encrypt', async () => {
    const plaintexts = Array.from({ length: 25 }, (_, i) => Buffer.from(`value-${i}-${'x'.repeat(i)}`))
    const response = await cli.call<{ ciphertexts: string[] }>('POST', `${stackA}/batch-encrypt`, {
      body: { plaintexts: plaintexts.map(b64) },
      gzip: true,
    })
    assert.equal(response.body.ciphertexts.length, plaintexts.length)
    for (const [i, ciphertext] of response.body.ciphertexts.entries()) {
      assert.deepEqual(await decrypt(cli, stackA, ciphertext), plaintexts[i])
    }
  })

  it('keys batch-decrypt by the exact ciphertext strings sent (manager.go asserts every key)', async () => {
    const plaintexts = [randomBytes(32), Buffer.from('hello'), Buffer.from('')]
    const ciphertexts = await Promise.all(plaintexts.map((p) => encrypt(cli, stackA, p)))
    // A repeated ciphertext is legal and must still be answered.
    const map = await batchDecrypt(cli, stackA, [...ciphertexts, ciphertexts[1]!])
    assert.deepEqual(Object.keys(map).sort(), [...ciphertexts].sort())
    for (const [i, ciphertext] of ciphertexts.entries()) {
      assert.deepEqual(Buffer.from(map[ciphertext] ?? 'missing!', 'base64'), plaintexts[i])
    }
  })

  it('accepts empty batches', async () => {
    const encrypted = await cli.call<{ ciphertexts: string[] }>('POST', `${stackA}/batch-encrypt`, {
      body: { plaintexts: [] },
      gzip: true,
    })
    assert.deepEqual(encrypted.body.ciphertexts, [])
    assert.deepEqual(await batchDecrypt(cli, stackA, []), {})
  })

  it("refuses another stack's ciphertext", async () => {
    const ciphertext = await encrypt(cli, stackA, Buffer.from('for a only'))
    await assertApiError(decrypt(cli, stackB, ciphertext), 400, /could not be decrypted/)
    await assertApiError(batchDecrypt(cli, stackB, [ciphertext]), 400, /could not be decrypted/)
  })

  it('refuses a stack recreated under the same name the old ciphertexts', async () => {
    const path = await createStack(cli, 'web', 'reborn')
    const ciphertext = await encrypt(cli, path, Buffer.from('old life'))
    await cli.call('DELETE', `${path}?force=false`)
    await createStack(cli, 'web', 'reborn')
    await assertApiError(decrypt(cli, path, ciphertext), 400)
  })

  it('rejects bad base64 and corrupt ciphertexts with 400', async () => {
    await assertApiError(
      cli.call('POST', `${stackA}/encrypt`, { body: { plaintext: 'not base64!' } }),
      400,
      /base64/,
    )
    await assertApiError(cli.call('POST', `${stackA}/decrypt`, { body: { ciphertext: 'YWJj=' } }), 400)
    await assertApiError(
      cli.call('POST', `${stackA}/decrypt`, { body: { ciphertext: 'YWJ' } }),
      400,
      /base64/,
    )
    await assertApiError(batchDecrypt(cli, stackA, ['YWJj', '%%%']), 400, /ciphertexts\[1\]/)
    await assertApiError(
      cli.call('POST', `${stackA}/batch-encrypt`, { body: { plaintexts: ['-_-_'] }, gzip: true }),
      400,
      /base64/,
    )
    // Valid base64, but nothing this server sealed.
    await assertApiError(decrypt(cli, stackA, b64(randomBytes(64))), 400, /could not be decrypted/)
    await assertApiError(cli.call('POST', `${stackA}/encrypt`, { body: { plaintext: 42 } }), 400)
  })

  it('answers the decryption-logging endpoints with 200 (client.go :: Log3rdParty…DecryptionEvent)', async () => {
    const single = await cli.call('POST', `${stackA}/decrypt/log-decryption`, { body: { secretName: 'key' } })
    assert.equal(single.status, 200)
    const bulk = await cli.call('POST', `${stackA}/decrypt/log-batch-decryption`, {
      body: { commandName: 'pulumi stack export' },
    })
    assert.equal(bulk.status, 200)
  })

  it('answers 404 for secrets of an unknown stack', async () => {
    await assertApiError(
      cli.call('POST', '/api/stacks/acme/web/ghost/encrypt', { body: { plaintext: b64('x') } }),
      404,
    )
  })

  it('keeps secrets decryptable across a rename', async () => {
    const path = await createStack(cli, 'web', 'before')
    const plaintext = randomBytes(32)
    const ciphertext = await encrypt(cli, path, plaintext)
    await cli.call('POST', `${path}/rename`, { body: { newName: 'after', newProject: 'site' } })
    assert.deepEqual(await decrypt(cli, '/api/stacks/acme/site/after', ciphertext), plaintext)
    await assertApiError(decrypt(cli, path, ciphertext), 404)
  })

  it('rewrites the service secrets provider and the URNs of the state on rename', async () => {
    const path = await createStack(cli, 'web', 'svc')
    const secret = await encrypt(cli, path, Buffer.from('"hunter2"'))
    const state = deploymentWith(
      [
        stackResource('web', 'svc', {
          password: {
            '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270',
            ciphertext: secret,
          },
        }),
        {
          urn: 'urn:pulumi:svc::web::random:index/randomPet:RandomPet::pet',
          custom: true,
          type: 'random:index/randomPet:RandomPet',
          parent: 'urn:pulumi:svc::web::pulumi:pulumi:Stack::web-svc',
        },
      ],
      {
        // As manager.go :: NewServiceSecretsManager writes it, in this key order.
        secrets_providers: {
          type: 'service',
          state: { url: server.url, owner: 'acme', project: 'web', stack: 'svc' },
        },
      },
    )
    await importDeployment(cli, path, state)
    await cli.call('POST', `${path}/rename`, { body: { newName: 'svc2', newProject: 'site' } })
    const renamed = '/api/stacks/acme/site/svc2'
    const exported = (await exportDeployment(cli, renamed)).body as {
      deployment: {
        secrets_providers: { type: string; state: Record<string, unknown> }
        resources: { urn: string; parent?: string; outputs?: Record<string, { ciphertext: string }> }[]
      }
    }
    // The CLI decrypts at the path named by this state (manager.go :: NewServiceSecretsManagerFromState).
    assert.deepEqual(exported.deployment.secrets_providers, {
      type: 'service',
      state: { url: server.url, owner: 'acme', project: 'site', stack: 'svc2' },
    })
    const [root, pet] = exported.deployment.resources
    assert.equal(root?.urn, 'urn:pulumi:svc2::site::pulumi:pulumi:Stack::site-svc2')
    assert.equal(pet?.urn, 'urn:pulumi:svc2::site::random:index/randomPet:RandomPet::pet')
    assert.equal(pet?.parent, root?.urn)
    const stored = root?.outputs?.password?.ciphertext
    assert.equal(stored, secret)
    const map = await batchDecrypt(cli, renamed, [secret])
    assert.equal(Buffer.from(map[secret] ?? '', 'base64').toString(), '"hunter2"')
  })

  it('settles concurrent first-time encrypts on one stack key', async () => {
    const path = await createStack(cli, 'web', 'race')
    const plaintexts = Array.from({ length: 20 }, () => randomBytes(32))
    const ciphertexts = await Promise.all(plaintexts.map((p) => encrypt(cli, path, p)))
    const map = await batchDecrypt(cli, path, ciphertexts)
    for (const [i, c] of ciphertexts.entries()) {
      assert.deepEqual(Buffer.from(map[c] ?? '', 'base64'), plaintexts[i])
    }
    const { id } = (await cli.call<{ id: string }>('GET', path)).body
    assert.equal(await stackKeyRows(server.dbPath, id), 1)
  })

  it('settles concurrent first-time encrypts from two servers on one database', async () => {
    // Two processes over one database (e.g. a rolling restart): the database decides the key, not a cache.
    const second = await startTestServer({ dir: server.dir })
    try {
      const path = await createStack(cli, 'web', 'race2')
      const clients = [cli, second.client]
      const plaintexts = Array.from({ length: 20 }, () => randomBytes(32))
      const ciphertexts = await Promise.all(plaintexts.map((p, i) => encrypt(clients[i % 2]!, path, p)))
      for (const client of clients) {
        const map = await batchDecrypt(client, path, ciphertexts)
        for (const [i, c] of ciphertexts.entries()) {
          assert.deepEqual(Buffer.from(map[c] ?? '', 'base64'), plaintexts[i])
        }
      }
      const { id } = (await cli.call<{ id: string }>('GET', path)).body
      assert.equal(await stackKeyRows(server.dbPath, id), 1)
    } finally {
      await second.close()
    }
  })
})

describe('master key', () => {
  const otherKey = 'cd'.repeat(32)

  function configFor(db: string, masterKey: string | undefined) {
    const parsed = loadConfig(
      ['-addr=127.0.0.1:0', `-db=${db}`, ...(masterKey ? [`-master-key=${masterKey}`] : [])],
      {},
    )
    assert.equal(parsed.kind, 'config')
    return parsed.config
  }

  it('keeps secrets across a restart with the same key, and refuses another key or none', async () => {
    const first = await startTestServer()
    let dir = ''
    try {
      dir = first.dir
      const path = await createStack(first.client, 'web', 'durable')
      const plaintext = randomBytes(32)
      const ciphertext = await encrypt(first.client, path, plaintext)
      await first.app.close()

      await assert.rejects(createApp(configFor(first.dbPath, otherKey)), (error: unknown) => {
        assert.ok(error instanceof StartupError)
        assert.match(error.message, /master key/)
        assert.match(error.message, /-master-key/, 'tells the operator what to do')
        return true
      })
      await assert.rejects(createApp(configFor(first.dbPath, undefined)), (error: unknown) => {
        assert.ok(error instanceof StartupError)
        assert.match(error.message, /master key/)
        assert.match(error.message, /PULUMI_BACKEND_MASTER_KEY/)
        return true
      })

      const again = await startTestServer({ dir })
      try {
        assert.deepEqual(await decrypt(again.client, path, ciphertext), plaintext)
      } finally {
        await again.close()
      }
    } finally {
      await first.close()
    }
  })
})

async function stackKeyRows(db: string, stackId: string): Promise<number> {
  const [row] = await queryDatabase<{ n: number }>(
    db,
    'select count(*) as n from stack_keys where stack_id = ?',
    [stackId],
  )
  return Number(row?.n)
}
