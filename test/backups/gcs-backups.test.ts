import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { StartupError } from '../../src/app.js'
import { restoreCommand } from '../../src/backups/restore-command.js'
import { LocalGcs } from '../support/gcs-server.js'
import { assertRestoresSameState } from '../support/restore-check.js'
import { deploymentWith, importDeployment, stackResource } from '../support/state.js'
import { startTestServer, type TestServer } from '../support/test-server.js'

const STACK = '/api/stacks/acme/web/dev'

describe('backups to Cloud Storage (official @google-cloud/storage against a local JSON API)', () => {
  const gcs = new LocalGcs(['pulumi-backups'])
  let server: TestServer

  before(async () => {
    await gcs.start()
    // The client's standard emulator switch: its endpoint, no credentials.
    process.env.STORAGE_EMULATOR_HOST = gcs.endpoint
    server = await startTestServer({
      args: ['-backup-destination=gs://pulumi-backups/team-a', '-backup-retention=2'],
    })
    await server.client.call('POST', '/api/stacks/acme/web', { body: { stackName: 'dev' } })
    await importDeployment(server.client, STACK, deploymentWith([stackResource('web', 'dev', { n: 1 })]))
  })
  after(async () => {
    await server?.close()
    await gcs.close()
  })

  it('uploads under the prefix, keeps the newest -backup-retention (listing across pages), restores from gs://', async () => {
    const answers: { name: string; remoteKeys: Record<string, string> }[] = []
    for (let i = 0; i < 4; i++) {
      answers.push((await server.client.call<(typeof answers)[0]>('POST', '/api/admin/backup')).body)
    }
    const newest = answers.at(-1)
    assert.ok(newest)
    assert.equal(newest.remoteKeys.gcs, `team-a/${newest.name}`)
    assert.deepEqual(
      [...(gcs.buckets.get('pulumi-backups')?.keys() ?? [])].sort(),
      answers.slice(2).map((a) => `team-a/${a.name}`),
    )

    await assertRestoresSameState(
      `gs://pulumi-backups/${newest.remoteKeys.gcs}`,
      [`-master-key=${'ab'.repeat(32)}`],
      server,
      STACK,
    )
    const dir = mkdtempSync(join(tmpdir(), 'pulumi-backend-gcs-missing-'))
    try {
      const missing = await restoreCommand(
        ['--from', 'gs://pulumi-backups/nope', '--to', join(dir, 'x.db')],
        () => {},
      )
      assert.equal(missing, 1)
      assert.equal(existsSync(join(dir, 'x.db')), false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a missing bucket stops the server at start, naming it', async () => {
    await assert.rejects(
      startTestServer({ args: ['-backup-destination=gs://no-such-bucket'] }),
      (error: unknown) => {
        assert.ok(error instanceof StartupError)
        assert.match(
          error.message,
          /backup destination gs:\/\/no-such-bucket\/backups\/ is not usable: bucket no-such-bucket does not exist/,
        )
        return true
      },
    )
  })
})
