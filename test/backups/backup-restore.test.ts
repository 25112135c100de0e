import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { gzipSync } from 'node:zlib'
import { type JWTPayload, SignJWT } from 'jose'
import { openDatabaseSnapshot } from '../../src/backups/database-snapshot.js'
import { writeBackupFile } from '../../src/backups/write-backup.js'
import { openSqliteDatabase } from '../../src/db/database.js'
import { SqlMetaStore } from '../../src/db/meta-store.js'
import { SingletonJob } from '../../src/jobs/singleton-job.js'
import { DIALECTS } from '../store/dialects.js'
import { assertApiError } from '../support/assert-api-error.js'
import { CliClient } from '../support/cli-client.js'
import { sample, scrape } from '../support/prometheus.js'
import { rewriteBackup, runRestore } from '../support/restore-check.js'
import { deploymentWith, exportDeployment, importDeployment, stackResource } from '../support/state.js'
import { startTestServer, type TestServer } from '../support/test-server.js'

const MASTER_KEY = 'ab'.repeat(32)
const STACK = '/api/stacks/acme/web/dev'

interface Backup {
  name: string
  path: string
  sha256: string
  rows: Record<string, number>
}

/** A stack with two state versions and a service-encrypted secret; returns the ciphertext. */
async function seed(cli: CliClient): Promise<string> {
  await cli.call('POST', '/api/stacks/acme/web', { body: { stackName: 'dev' } })
  await importDeployment(cli, STACK, deploymentWith([stackResource('web', 'dev', { n: 1 })]))
  await importDeployment(cli, STACK, deploymentWith([stackResource('web', 'dev', { n: 2 })]))
  const encrypted = await cli.call<{ ciphertext: string }>('POST', `${STACK}/encrypt`, {
    body: { plaintext: Buffer.from('hunter2').toString('base64') },
  })
  return encrypted.body.ciphertext
}

const restore = runRestore

describe('backups and restore (SQLite, local directory)', () => {
  let server: TestServer
  let backupDir: string
  let work: string
  let ciphertext: string
  let backup: Backup

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'pulumi-backend-backups-'))
    backupDir = join(work, 'backups')
    server = await startTestServer({ args: [`-backup-dir=${backupDir}`] })
    ciphertext = await seed(server.client)
    backup = (await server.client.call<Backup>('POST', '/api/admin/backup')).body
  })
  after(async () => {
    await server.close()
    rmSync(work, { recursive: true, force: true })
  })

  it('writes one complete file to -backup-dir and counts it', async () => {
    assert.deepEqual(readdirSync(backupDir), [backup.name], 'no temporary file left beside it')
    assert.equal(backup.path, join(backupDir, backup.name))
    assert.equal(backup.rows.stacks, 1)
    assert.equal(backup.rows.state_versions, 2)
    assert.equal(backup.rows.stack_keys, 1)
    const metrics = await scrape(server.url)
    assert.equal(sample(metrics, 'pulumi_backend_backups_total', { trigger: 'manual', result: 'success' }), 1)
  })

  it('restores into a new database that serves the same state and decrypts the same secrets', async () => {
    const target = join(work, 'restored.db')
    const { code, output } = await restore([
      '--from',
      backup.path,
      '--to',
      target,
      `-master-key=${MASTER_KEY}`,
    ])
    assert.equal(code, 0, output)
    assert.match(output, /verified: .*state_versions 2/)
    assert.deepEqual(
      readdirSync(work).filter((name) => name.includes('restoring')),
      [],
      'the temporary database was renamed',
    )
    const restored = await startTestServer({ args: [`-db=${target}`] })
    try {
      const before = await exportDeployment(server.client, STACK)
      const after = await exportDeployment(restored.client, STACK)
      assert.deepEqual(after.body, before.body)
      const older = await exportDeployment(restored.client, STACK, { version: 1 })
      assert.deepEqual(older.body, (await exportDeployment(server.client, STACK, { version: 1 })).body)
      const decrypted = await restored.client.call<{ plaintext: string }>('POST', `${STACK}/decrypt`, {
        body: { ciphertext },
      })
      assert.equal(Buffer.from(decrypted.body.plaintext, 'base64').toString(), 'hunter2')
    } finally {
      await restored.close()
    }
  })

  it('refuses a non-empty target unless --force, and then replaces its content', async () => {
    const target = join(work, 'busy.db')
    const other = await startTestServer({ args: [`-db=${target}`] })
    await other.client.call('POST', '/api/stacks/acme/other', { body: { stackName: 'x' } })
    await other.close()
    const refused = await restore(['--from', backup.path, '--to', target])
    assert.equal(refused.code, 1)
    assert.match(
      refused.output,
      /is not empty \(.*stacks 1.*\); restore into a new database, or pass --force/,
    )
    const forced = await restore(['--from', backup.path, '--to', target, '--force'])
    assert.equal(forced.code, 0, forced.output)
    const database = await openSqliteDatabase(target)
    try {
      const stacks = await database.db.selectFrom('stacks').select(['project', 'name']).execute()
      assert.deepEqual(stacks, [{ project: 'web', name: 'dev' }])
    } finally {
      await database.close()
    }
  })

  it('refuses a corrupt, truncated or tampered file before writing anything', async () => {
    const bytes = readFileSync(backup.path)
    const cases: [string, Buffer | ((path: string) => void), RegExp][] = [
      ['truncated', bytes.subarray(0, Math.floor(bytes.length / 2)), /not a readable backup file|truncated/],
      [
        'flipped',
        Buffer.from(bytes.map((b, i) => (i === Math.floor(bytes.length / 2) ? b ^ 0xff : b))),
        /not a readable|hash/,
      ],
      ['not a backup', gzipSync('{"hello":1}\n'), /not a pulumi-backend backup file/],
      [
        'state edited, end marker recomputed',
        (path) =>
          rewriteBackup(backup.path, path, (record) => {
            const row = record.r as Record<string, unknown>
            if (record.t === 'state_versions' && row.encoding === 'gzip') {
              row.deployment = { $b: gzipSync('{"version":3,"deployment":{}}').toString('base64') }
            }
          }),
        /state version \d of stack .* does not match its hash/,
      ],
    ]
    for (const [label, content, expected] of cases) {
      const file = join(work, `${label.replaceAll(' ', '-')}.pbk.gz`)
      if (typeof content === 'function') content(file)
      else writeFileSync(file, content)
      const target = join(work, `never-${label.replaceAll(' ', '-')}.db`)
      const { code, output } = await restore(['--from', file, '--to', target])
      assert.equal(code, 1, `${label}: ${output}`)
      assert.match(output, expected, label)
      assert.match(output, /nothing was written/, label)
      assert.equal(existsSync(target), false, `${label}: no target database was created`)
    }
  })

  it('names an unreachable PostgreSQL target without its password, writing nothing', async () => {
    const { code, output } = await restore([
      '--from',
      backup.path,
      '--to',
      'postgres://pulumi:sekret@127.0.0.1:1/pulumi?sslmode=disable',
      `-master-key=${MASTER_KEY}`,
    ])
    assert.equal(code, 1)
    assert.match(output, /verified: /, 'the file was proved first')
    assert.match(
      output,
      /cannot open postgres:\/\/pulumi:\*\*\*@127\.0\.0\.1:1\/pulumi: .*; nothing was written/,
    )
    assert.doesNotMatch(output, /sekret/)
  })

  it('refuses to restore with a master key that does not open the backup', async () => {
    const target = join(work, 'wrong-key.db')
    const { code, output } = await restore([
      '--from',
      backup.path,
      '--to',
      target,
      `-master-key=${'cd'.repeat(32)}`,
    ])
    assert.equal(code, 1)
    assert.match(output, /not the key of this backup/)
    assert.equal(existsSync(target), false)
  })
})

describe('backup admin route without a destination', () => {
  let server: TestServer
  before(async () => {
    server = await startTestServer()
  })
  after(() => server.close())

  it('answers 409 with what to configure', async () => {
    await assertApiError(
      server.client.call('POST', '/api/admin/backup'),
      409,
      /no backup destination configured: start the server with -backup-dir/,
    )
  })

  it('needs a login', async () => {
    const response = await fetch(`${server.url}/api/admin/backup`, { method: 'POST' })
    assert.equal(response.status, 401)
  })
})

describe('scheduled backups are a singleton job', () => {
  it('runs once per period across replicas sharing the database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulumi-backend-job-'))
    const database = await openSqliteDatabase(join(dir, 'db.sqlite'))
    try {
      let now = 1_000_000
      const clock = { now: () => now }
      const runs: string[] = []
      const replica = (name: string) =>
        new SingletonJob({
          name: 'backup',
          intervalMs: 60_000,
          meta: new SqlMetaStore(database.db),
          clock,
          run: async () => {
            runs.push(name)
          },
        })
      const [a, b] = [replica('a'), replica('b')]
      assert.deepEqual(await Promise.all([a.runOnce(), b.runOnce()]), [true, false])
      now += 30_000
      assert.deepEqual([await a.runOnce(), await b.runOnce()], [false, false], 'not due yet')
      now += 30_000
      assert.deepEqual([await b.runOnce(), await a.runOnce()], [true, false])
      assert.deepEqual(runs, ['a', 'b'])
    } finally {
      await database.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a scheduled run writes a backup through the server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulumi-backend-sched-'))
    const server = await startTestServer({
      args: [`-backup-dir=${dir}`, '-backup-schedule=1h', '-backup-retention=2'],
    })
    try {
      assert.ok(server.app.backupSchedule)
      // The scheduler's first look runs it (no backup yet); the next one is due in an hour.
      await server.app.jobs.runOnce()
      assert.equal(readdirSync(dir).length, 1)
      assert.equal(await server.app.backupSchedule.runOnce(), false, 'the next one is due in an hour')
      for (let i = 0; i < 2; i++) await server.client.call('POST', '/api/admin/backup')
      assert.equal(readdirSync(dir).length, 2, 'retention keeps the newest two')
      const metrics = await scrape(server.url)
      assert.equal(
        sample(metrics, 'pulumi_backend_backups_total', { trigger: 'schedule', result: 'success' }),
        1,
      )
    } finally {
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

// Each engine's snapshot: SQLite's read transaction under WAL, PostgreSQL's REPEATABLE READ READ ONLY transaction.
for (const dialect of DIALECTS) {
  describe(`backup snapshots on ${dialect.name} are one instant and do not block writers`, {
    skip: dialect.skip,
  }, () => {
    it('writes committed after the snapshot opened succeed and are not in the backup', async () => {
      const server = await startTestServer({ db: await dialect.target() })
      const work = mkdtempSync(join(tmpdir(), 'pulumi-backend-instant-'))
      try {
        await seed(server.client)
        const snapshot = await openDatabaseSnapshot(server.dbPath)
        assert.equal(snapshot.source, dialect.name === 'SQLite' ? 'sqlite' : 'postgres')
        try {
          // The server keeps writing while the snapshot's read transaction is open (SQLite WAL or PostgreSQL MVCC).
          await server.client.call('POST', '/api/stacks/acme/web', { body: { stackName: 'later' } })
          await importDeployment(
            server.client,
            STACK,
            deploymentWith([stackResource('web', 'dev', { n: 3 })]),
          )
          const file = join(work, 'instant.pbk.gz')
          const trailer = await writeBackupFile(snapshot, file, Date.now())
          assert.equal(trailer.rows.stacks, 1, 'the stack created after the snapshot is not in it')
          assert.equal(trailer.rows.state_versions, 2, 'nor the third state version')
        } finally {
          await snapshot.close()
        }
      } finally {
        await server.close()
        rmSync(work, { recursive: true, force: true })
      }
    })
  })
}

describe('restore command line', () => {
  it('prints its usage without --from and --to, and never takes a PostgreSQL URL for a file name', async () => {
    const usage = await restore(['--from', 'x.pbk.gz'])
    assert.equal(usage.code, 2)
    assert.match(usage.output, /^usage: pulumi-backend restore --from/)
    // The file is verified before the target is opened: an unreadable one never reaches the (unreachable) server.
    const postgres = await restore(['--from', 'x.pbk.gz', '--to', 'postgres://u:sekret@127.0.0.1:1/pulumi'])
    assert.equal(postgres.code, 1)
    assert.match(postgres.output, /refusing to restore x\.pbk\.gz: .*nothing was written/)
    assert.equal(existsSync('postgres:'), false)
  })
})

describe('backup admin route in a multi-user mode', () => {
  const SECRET = 'a-shared-hmac-secret-of-at-least-32-characters'
  let server: TestServer
  let dir: string
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pulumi-backend-admin-'))
    server = await startTestServer({
      args: ['-auth-mode=jwt', `-jwt-signing-key=${SECRET}`, '-admin-groups=platform', `-backup-dir=${dir}`],
    })
  })
  after(async () => {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const tokenFor = (claims: JWTPayload) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(SECRET))

  it('is refused to a non-admin (403, nothing written) and served to an admin', async () => {
    const user = new CliClient(server.url, await tokenFor({ sub: 'dave', groups: ['dev'] }))
    // The RBAC step (permission org:admin) refuses it before the route's own admin check.
    await assertApiError(user.call('POST', '/api/admin/backup'), 403, /requires an administrator/)
    assert.deepEqual(readdirSync(dir), [])
    const admin = new CliClient(server.url, await tokenFor({ sub: 'carol', groups: ['platform'] }))
    assert.equal((await admin.call('POST', '/api/admin/backup')).status, 200)
    assert.equal(readdirSync(dir).length, 1)
  })
})
