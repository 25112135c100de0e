import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before } from 'node:test'
import { type App, type AppOverrides, createApp } from '../../src/app.js'
import { type Config, loadConfig } from '../../src/config/load-config.js'
import { CliClient } from './cli-client.js'
import { sharedTestDatabase } from './postgres-cluster.js'

/** PULUMI_BACKEND_TEST_DB=postgres runs every test server on a fresh PostgreSQL database instead of SQLite. */
export const testDialect: 'sqlite' | 'postgres' =
  process.env.PULUMI_BACKEND_TEST_DB === 'postgres' ? 'postgres' : 'sqlite'

/**
 * The -db value for a server whose files live in `dir`: a SQLite file there, or (PostgreSQL runs) a database on the
 * shared test cluster tied to `dir`, so a restarted server in the same directory finds its data again.
 */
export async function testDatabase(dir: string, file = 'pulumi-backend.db'): Promise<string> {
  return testDialect === 'postgres' ? sharedTestDatabase(join(dir, file)) : join(dir, file)
}

export interface TestServer {
  app: App
  url: string
  token: string
  dir: string
  /** The -db value: a SQLite file path, or a PostgreSQL URL in PostgreSQL runs (see `testDialect`). */
  dbPath: string
  config: Config
  client: CliClient
  close(): Promise<void>
}

/** Boots the real app (createApp, as main does) on a real database (see `testDatabase`) and a loopback port. */
export async function startTestServer(
  options: { args?: string[]; overrides?: AppOverrides; dir?: string; db?: string } = {},
): Promise<TestServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'pulumi-backend-test-'))
  // `db`: a given -db value (e.g. a dialect other than the run's), else the run's dialect (see `testDatabase`).
  const dbPath = options.db ?? (await testDatabase(dir))
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
