import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { StartupError } from '../../src/app.js'
import { restoreCommand } from '../../src/backups/restore-command.js'
import { assertApiError } from '../support/assert-api-error.js'
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
