import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { verifyChain } from '../../src/audit/verify-chain.js'
import type { SqlStore } from '../../src/db/store.js'
import { DIALECTS, type DialectUnderTest } from '../store/dialects.js'
import { CliClient } from '../support/cli-client.js'
import { queryDatabase } from '../support/db-query.js'
import { rewriteBackup, runRestore } from '../support/restore-check.js'
import { deploymentWith, exportDeployment, importDeployment, stackResource } from '../support/state.js'
import { startTestServer, type TestServer } from '../support/test-server.js'

const MASTER_KEY = 'ab'.repeat(32)
const STACK = '/api/stacks/acme/web/dev'
const [SQLITE, POSTGRES] = DIALECTS as [DialectUnderTest, DialectUnderTest]

const restore = runRestore

/** What a restored server must serve exactly as the source did. */
interface Seeded {
  ciphertext: string
  /** A personal access token minted on the source (stored hashed): it must log in on the restored server. */
  token: string
  /** Audit events in the backup. */
  auditEvents: number
}

/** A stack with state history, a stack key (a service-encrypted secret), a personal token and audit events. */
async function seed(cli: CliClient): Promise<Seeded> {
  await cli.call('POST', '/api/stacks/acme/web', { body: { stackName: 'dev' } })
  for (const n of [1, 2, 3]) {
    await importDeployment(cli, STACK, deploymentWith([stackResource('web', 'dev', { n })]))
  }
  const encrypted = await cli.call<{ ciphertext: string }>('POST', `${STACK}/encrypt`, {
    body: { plaintext: Buffer.from('hunter2').toString('base64') },
  })
  const minted = await cli.call<{ tokenValue: string }>('POST', '/api/user/tokens', {
    body: { description: 'ci', expires: 0 },
  })
  return { ciphertext: encrypted.body.ciphertext, token: minted.body.tokenValue, auditEvents: 0 }
}

async function auditLog(server: TestServer): Promise<string[]> {
  const rows = await queryDatabase<{ seq: unknown; action: string; hash: string }>(
    server.dbPath,
    'select seq, action, hash from audit_events order by seq',
  )
  // pg reads int8 as text on a plain connection: compare as text on both dialects.
  return rows.map((row) => `${String(row.seq)} ${row.action} ${row.hash}`)
}

async function assertSameContent(source: TestServer, restored: TestServer, seeded: Seeded): Promise<void> {
  for (const version of [1, 2, 3]) {
    assert.deepEqual(
      (await exportDeployment(restored.client, STACK, { version })).body,
      (await exportDeployment(source.client, STACK, { version })).body,
      `state version ${version}`,
    )
  }
  const decrypted = await restored.client.call<{ plaintext: string }>('POST', `${STACK}/decrypt`, {
    body: { ciphertext: seeded.ciphertext },
  })
  assert.equal(Buffer.from(decrypted.body.plaintext, 'base64').toString(), 'hunter2')
  const withToken = new CliClient(restored.url, seeded.token)
  assert.equal((await withToken.call('GET', '/api/user')).status, 200, 'the minted token still logs in')
  // The audit chain came over row for row (the hash covers every field), and still verifies.
  const inBackup = (log: string[]) => log.slice(0, seeded.auditEvents)
  assert.deepEqual(inBackup(await auditLog(restored)), inBackup(await auditLog(source)))
  assert.equal((await verifyChain((restored.app.store as SqlStore).audit)).ok, true)
}

for (const [from, to] of [
  [POSTGRES, POSTGRES],
  [POSTGRES, SQLITE],
  [SQLITE, POSTGRES],
] as const) {
  describe(`backup on ${from.name}, restore into ${to.name}`, { skip: from.skip || to.skip }, () => {
    let source: TestServer
    let seeded: Seeded
    let work: string
    let backupPath: string

    before(async () => {
      work = mkdtempSync(join(tmpdir(), 'pulumi-backend-cross-'))
      const db = await from.target()
      source = await startTestServer({ db, args: [`-backup-dir=${join(work, 'backups')}`] })
      seeded = await seed(source.client)
      const backup = await source.client.call<{ path: string; rows: Record<string, number> }>(
        'POST',
        '/api/admin/backup',
      )
      assert.equal(backup.body.rows.state_versions, 3)
      assert.equal(backup.body.rows.stack_keys, 1)
      assert.ok((backup.body.rows.access_tokens ?? 0) >= 1)
      seeded.auditEvents = backup.body.rows.audit_events ?? 0
      assert.ok(seeded.auditEvents >= 1)
      backupPath = backup.body.path
    })
    after(async () => {
      await source?.close()
      rmSync(work, { recursive: true, force: true })
    })

    it('restores, with progress, a database that serves the same states, secrets, tokens and audit log', async () => {
      const target = await to.target()
      const run = await restore(['--from', backupPath, '--to', target, `-master-key=${MASTER_KEY}`])
      assert.equal(run.code, 0, run.output)
      assert.match(run.output, /verified: .*state_versions 3/)
      assert.match(run.output, / {2}state_versions: 3 rows/)
      assert.match(run.output, /restored into /)
      assert.doesNotMatch(run.output, /password/)
      const restored = await startTestServer({ db: target })
      try {
        await assertSameContent(source, restored, seeded)
      } finally {
        await restored.close()
      }
    })

    it('refuses a non-empty target unless --force, then replaces its content', async () => {
      const target = await to.target()
      const other = await startTestServer({ db: target })
      await other.client.call('POST', '/api/stacks/acme/other', { body: { stackName: 'x' } })
      await other.close()
      const refused = await restore(['--from', backupPath, '--to', target])
      assert.equal(refused.code, 1)
      assert.match(
        refused.output,
        /is not empty \(.*stacks 1.*\); restore into a new database, or pass --force/,
      )
      const kept = await queryDatabase<{ project: string }>(target, 'select project from stacks')
      assert.deepEqual(
        kept.map((s) => s.project),
        ['other'],
        'nothing was written',
      )
      const forced = await restore(['--from', backupPath, '--to', target, '--force'])
      assert.equal(forced.code, 0, forced.output)
      const stacks = await queryDatabase<{ project: string; name: string }>(
        target,
        'select project, name from stacks',
      )
      assert.deepEqual(stacks, [{ project: 'web', name: 'dev' }])
    })

    it('rolls a failed write back: a --force restore that breaks midway leaves the target as it was', async () => {
      const target = await to.target()
      const other = await startTestServer({ db: target })
      await other.client.call('POST', '/api/stacks/acme/other', { body: { stackName: 'x' } })
      await other.close()
      // Two state versions with one key pass every file check but cannot both be inserted.
      const broken = join(work, 'duplicate-key.pbk.gz')
      rewriteBackup(backupPath, broken, (record) => {
        const row = record.r as Record<string, unknown>
        if (record.t === 'state_versions' && row.version === 2) row.version = 1
      })
      const run = await restore(['--from', broken, '--to', target, '--force'])
      assert.equal(run.code, 1, run.output)
      assert.match(
        run.output,
        /writing into .* failed \(.*\); the transaction was rolled back and .* is unchanged/,
      )
      const stacks = await queryDatabase<{ project: string }>(target, 'select project from stacks')
      assert.deepEqual(
        stacks.map((s) => s.project),
        ['other'],
        'the deletes of --force were rolled back too',
      )
    })

    it('refuses a wrong master key before writing anything', async () => {
      const target = await to.target()
      const run = await restore(['--from', backupPath, '--to', target, `-master-key=${'cd'.repeat(32)}`])
      assert.equal(run.code, 1)
      assert.match(run.output, /not the key of this backup/)
      if (to === POSTGRES) {
        // Verification comes before the target is even opened: not even the schema was created.
        const tables = await queryDatabase(target, "select 1 from pg_tables where tablename = 'stacks'")
        assert.deepEqual(tables, [])
      }
    })
  })
}
