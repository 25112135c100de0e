import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
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

/** Rewrites a backup file's rows and recomputes its end marker, as a careless or malicious edit would. */
export function rewriteBackup(
  source: string,
  target: string,
  edit: (record: Record<string, unknown>) => void,
): void {
  const lines = gunzipSync(readFileSync(source)).toString('utf8').trimEnd().split('\n')
  const body = lines.slice(0, -1).map((line, i) => {
    if (i === 0) return line
    const record = JSON.parse(line) as Record<string, unknown>
    edit(record)
    return JSON.stringify(record)
  })
  const text = body.map((line) => `${line}\n`).join('')
  const end = JSON.parse(lines.at(-1) ?? '{}') as { end: { sha256: string } }
  end.end.sha256 = createHash('sha256').update(text).digest('hex')
  writeFileSync(target, gzipSync(`${text}${JSON.stringify(end)}\n`))
}
