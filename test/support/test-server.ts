import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before } from 'node:test'
import { type App, type AppOverrides, createApp } from '../../src/app.js'
import { type Config, loadConfig } from '../../src/config/load-config.js'
import { CliClient } from './cli-client.js'

export interface TestServer {
  app: App
  url: string
  token: string
  dir: string
  dbPath: string
  config: Config
  client: CliClient
  close(): Promise<void>
}

/** Boots the real app (createApp, as main does) on a real SQLite file and a loopback port. */
export async function startTestServer(
  options: { args?: string[]; overrides?: AppOverrides; dir?: string } = {},
): Promise<TestServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'pulumi-backend-test-'))
  const dbPath = join(dir, 'pulumi-backend.db')
  const token = `test-${randomBytes(8).toString('hex')}`
  const parsed = loadConfig(
    [
      '-addr=127.0.0.1:0',
      `-db=${dbPath}`,
      `-master-key=${'ab'.repeat(32)}`,
      `-single-tenant-token=${token}`,
      '-org=acme',
      '-user=alice',
      ...(options.args ?? []),
    ],
    {},
  )
  if (parsed.kind !== 'config') throw new Error('unexpected help')
  const app = await createApp(parsed.config, options.overrides)
  const url = await app.listen()
  return {
    app,
    url,
    token,
    dir,
    dbPath,
    config: parsed.config,
    client: new CliClient(url, token),
    async close() {
      await app.close()
      if (!options.dir) rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * Starts one server for the enclosing `describe` (node:test before/after) and hands it to `use` once started.
 * Usage: `let server: TestServer; useTestServer({}, (s) => { server = s })`.
 */
export function useTestServer(
  options: Parameters<typeof startTestServer>[0],
  use: (server: TestServer) => void | Promise<void>,
): void {
  let server: TestServer | undefined
  before(async () => {
    server = await startTestServer(options)
    await use(server)
  })
  after(() => server?.close())
}
