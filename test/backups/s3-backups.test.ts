import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { StartupError } from '../../src/app.js'
import { restoreCommand } from '../../src/backups/restore-command.js'
import { S3Destination } from '../../src/backups/s3-destination.js'
import { assertApiError } from '../support/assert-api-error.js'
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js'
import { sample, scrape } from '../support/prometheus.js'
import { assertRestoresSameState } from '../support/restore-check.js'
import { type LocalS3, startLocalS3 } from '../support/s3-server.js'
import { deploymentWith, importDeployment, stackResource } from '../support/state.js'
import { startTestServer, type TestServer } from '../support/test-server.js'

const STACK = '/api/stacks/acme/web/dev'

describe('backups to S3 (s3rver on loopback, official AWS SDK)', () => {
  let s3: LocalS3
  let server: TestServer
  let client: S3Client
  const s3Args = () => [
    '-backup-destination=s3://backups/nightly',
    `-backup-s3-endpoint=${s3.endpoint}`,
    '-backup-s3-force-path-style',
    '-backup-retention=2',
  ]

  before(async () => {
    s3 = await startLocalS3(['backups'])
    client = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true })
    server = await startTestServer({ args: s3Args() })
    await server.client.call('POST', '/api/stacks/acme/web', { body: { stackName: 'dev' } })
    await importDeployment(server.client, STACK, deploymentWith([stackResource('web', 'dev', { n: 1 })]))
  })
  after(async () => {
    await server?.close()
    await s3?.close()
  })

  const keys = async () =>
    ((await client.send(new ListObjectsV2Command({ Bucket: 'backups' }))).Contents ?? []).map((o) => o.Key)

  it('uploads under the prefix, keeps the newest -backup-retention, and restores from s3://', async () => {
    const answers: { name: string; path: string; remoteKeys: Record<string, string> }[] = []
    for (let i = 0; i < 3; i++)
      answers.push((await server.client.call<(typeof answers)[0]>('POST', '/api/admin/backup')).body)
    const newest = answers.at(-1)
    assert.ok(newest)
    assert.equal(newest.path, '', 'no local directory configured')
    assert.equal(newest.remoteKeys.s3, `nightly/${newest.name}`)
    assert.deepEqual(
      (await keys()).sort(),
      answers
        .slice(1)
        .map((a) => `nightly/${a.name}`)
        .sort(),
    )

    await assertRestoresSameState(
      `s3://backups/${newest.remoteKeys.s3}`,
      [...s3Args(), `-master-key=${'ab'.repeat(32)}`],
      server,
      STACK,
    )
  })

  it('restoring a missing object fails clearly and creates nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulumi-backend-s3-missing-'))
    try {
      const lines: string[] = []
      const target = join(dir, 'x.db')
      const code = await restoreCommand(
        ['--from', 's3://backups/nightly/nope.pbk.gz', '--to', target, ...s3Args()],
        (l) => lines.push(l),
      )
      assert.equal(code, 1)
      assert.match(lines.join('\n'), /cannot download s3:\/\/backups\/nightly\/nope\.pbk\.gz: NoSuchKey/)
      assert.equal(existsSync(target), false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a missing bucket stops the server at start, naming the destination', async () => {
    await assert.rejects(
      startTestServer({
        args: [
          '-backup-destination=s3://no-such-bucket',
          `-backup-s3-endpoint=${s3.endpoint}`,
          '-backup-s3-force-path-style',
        ],
      }),
      (error: unknown) => {
        assert.ok(error instanceof StartupError)
        assert.match(
          error.message,
          /backup destination s3:\/\/no-such-bucket\/backups\/ is not usable: NotFound/,
        )
        assert.doesNotMatch(error.message, /S3RVER/, 'no credential in the message')
        return true
      },
    )
  })

  it('an unreachable store fails the backup (503), counts the failure', async () => {
    await s3.close()
    try {
      await assertApiError(
        server.client.call('POST', '/api/admin/backup'),
        503,
        /reached no destination: s3:\/\/backups\/nightly\//,
      )
      const metrics = await scrape(server.url)
      assert.equal(
        sample(metrics, 'pulumi_backend_backups_total', { trigger: 'manual', result: 'failure' }),
        1,
      )
    } finally {
      s3 = await startLocalS3(['backups'])
    }
  })
})

describe('multipart uploads to S3 (tiny parts, so a small backup goes in several)', () => {
  let s3: LocalS3
  let proxy: FaultProxy
  let server: TestServer
  let work: string
  let backup: { name: string; path: string; bytes: number }
  const PART = 256
  const destination = () =>
    new S3Destination({
      bucket: 'backups',
      prefix: 'big/',
      region: 'us-east-1',
      endpoint: proxy.url,
      forcePathStyle: true,
      multipart: { thresholdBytes: PART, partBytes: PART, concurrency: 2 },
    })
  const objectKeys = async () => {
    const client = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true })
    return ((await client.send(new ListObjectsV2Command({ Bucket: 'backups' }))).Contents ?? []).map(
      (o) => o.Key,
    )
  }

  before(async () => {
    s3 = await startLocalS3(['backups'])
    proxy = await startFaultProxy(s3.endpoint)
    work = mkdtempSync(join(tmpdir(), 'pulumi-backend-multipart-'))
    server = await startTestServer({ args: [`-backup-dir=${work}`] })
    await server.client.call('POST', '/api/stacks/acme/web', { body: { stackName: 'dev' } })
    await importDeployment(server.client, STACK, deploymentWith([stackResource('web', 'dev', { n: 1 })]))
    backup = (await server.client.call<typeof backup>('POST', '/api/admin/backup')).body
    assert.ok(backup.bytes > 3 * PART, `the backup (${backup.bytes} bytes) spans several parts`)
  })
  after(async () => {
    await server?.close()
    await proxy?.close()
    await s3?.close()
    rmSync(work, { recursive: true, force: true })
  })

  it('uploads in parts that complete into the same file, which restores', async () => {
    proxy.requests.length = 0
    const key = await destination().put(backup.name, backup.path)
    assert.equal(key, `big/${backup.name}`)
    const parts = proxy.requests.filter((r) => /^PUT .*[?&]partNumber=\d+/.test(r))
    assert.equal(parts.length, Math.ceil(backup.bytes / PART))
    assert.ok(
      proxy.requests.some((r) => /^POST .*\?uploads/.test(r)),
      'created a multipart upload',
    )
    assert.ok(
      proxy.requests.some((r) => /^POST .*[?&]uploadId=/.test(r)),
      'completed it',
    )
    const copy = join(work, 'copy.pbk.gz')
    await destination().fetch(backup.name, copy)
    assert.deepEqual(readFileSync(copy), readFileSync(backup.path))
    await assertRestoresSameState(
      `s3://backups/${key}`,
      [`-backup-s3-endpoint=${s3.endpoint}`, '-backup-s3-force-path-style', `-master-key=${'ab'.repeat(32)}`],
      server,
      STACK,
    )
  })

  it('a failure midway aborts the upload and leaves no object under the final name', async () => {
    proxy.requests.length = 0
    const name = backup.name.replace(/-[0-9a-f]{6}\.pbk\.gz$/, '-fa11ed.pbk.gz')
    proxy.fail = (method, url) => (method === 'PUT' && /[?&]partNumber=3(&|$)/.test(url) ? 400 : undefined)
    try {
      await assert.rejects(destination().put(name, backup.path), /injected by the test/)
    } finally {
      proxy.fail = () => undefined
    }
    const uploadId = /[?&]uploadId=([^&]+)/.exec(proxy.requests.find((r) => r.startsWith('PUT')) ?? '')?.[1]
    assert.ok(uploadId)
    assert.ok(
      proxy.requests.some((r) => r.startsWith('DELETE ') && r.includes(`uploadId=${uploadId}`)),
      `the upload was aborted: ${proxy.requests.join(', ')}`,
    )
    assert.ok(!proxy.requests.some((r) => /^POST .*[?&]uploadId=/.test(r)), 'never completed')
    assert.ok(!(await objectKeys()).includes(`big/${name}`), 'nothing under the final name')
  })
})
