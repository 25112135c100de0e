import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { restoreCommand } from '../../src/backups/restore-command.js'
import { exportDeployment } from './state.js'
import { startTestServer, type TestServer } from './test-server.js'

/** Runs `pulumi-backend restore <args>` in process; returns its exit code and everything it printed. */
export async function runRestore(args: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = []
  const code = await restoreCommand(args, (line) => lines.push(line))
  return { code, output: lines.join('\n') }
}

/**
 * Runs `pulumi-backend restore --from <from> <args>` into a new database, starts a server on it, and checks that
 * `stackPath` exports exactly what `source` exports.
 */
export async function assertRestoresSameState(
  from: string,
  args: string[],
  source: TestServer,
  stackPath: string,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pulumi-backend-restore-check-'))
  try {
    const target = join(dir, 'restored.db')
    const { code, output } = await runRestore(['--from', from, '--to', target, ...args])
    assert.equal(code, 0, output)
    const restored = await startTestServer({ args: [`-db=${target}`] })
    try {
      assert.deepEqual(
        (await exportDeployment(restored.client, stackPath)).body,
        (await exportDeployment(source.client, stackPath)).body,
      )
    } finally {
      await restored.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
