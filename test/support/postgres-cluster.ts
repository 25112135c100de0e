// Throwaway PostgreSQL clusters for tests: initdb + pg_ctl from the machine's PostgreSQL server binaries, in a
// temporary directory, on a loopback port and a private unix-socket directory, removed when the process exits.
// The test runner starts one shared cluster for the whole run and passes its URL on (PULUMI_BACKEND_TEST_PG_URL);
// a test file run on its own starts one for its process. Each test database is created fresh on it.
import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

/** The admin URL of the run's shared cluster, set by scripts/run-tests.mjs. */
export const SHARED_CLUSTER_ENV = 'PULUMI_BACKEND_TEST_PG_URL'

export interface PostgresCluster {
  /** URL of the `postgres` maintenance database (superuser, trust auth, loopback only). */
  readonly adminUrl: string
  /** The server's data directory (its postmaster.pid names the server process). */
  readonly dataDir: string
  /** Creates an empty database and returns its URL; `name` makes it stable (e.g. one per test directory). */
  createDatabase(name?: string): Promise<string>
  /** Fault tests: shuts the server down (fast mode: every connection is dropped, committed work kept)... */
  stopServer(): void
  /** ...and starts it again on the same port. */
  startServer(): void
  /** Stops the server and deletes the cluster (also done when the process exits). */
  stop(): void
}

/** Where initdb and pg_ctl live, or why there are none. */
export function findPostgresBinaries(): { bin: string } | { missing: string } {
  if (process.env.PULUMI_BACKEND_TEST_POSTGRES === 'off')
    return { missing: 'PULUMI_BACKEND_TEST_POSTGRES=off' }
  const versions = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : []
  for (const version of versions) {
    const bin = `/usr/lib/postgresql/${version}/bin`
    if (existsSync(join(bin, 'pg_ctl')) && existsSync(join(bin, 'initdb'))) return { bin }
  }
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' })
  const bindir = pgConfig.status === 0 ? pgConfig.stdout.trim() : ''
  if (bindir && existsSync(join(bindir, 'pg_ctl')) && existsSync(join(bindir, 'initdb')))
    return { bin: bindir }
  return {
    missing:
      'no PostgreSQL server binaries (initdb, pg_ctl) found in /usr/lib/postgresql/*/bin or via pg_config; ' +
      'install them (Debian: apt-get install -y postgresql) to run the PostgreSQL suites',
  }
}

/**
 * Starts a private cluster; it is stopped and deleted when this process exits. `durable`: PostgreSQL's default
 * fsync and synchronous commits (benchmarks), instead of the faster settings fit for throwaway test data.
 */
export async function startPostgresCluster(options: { durable?: boolean } = {}): Promise<PostgresCluster> {
  const found = findPostgresBinaries()
  if ('missing' in found) throw new Error(found.missing)
  const dir = mkdtempSync(join(tmpdir(), 'pulumi-backend-pg-'))
  const data = join(dir, 'data')
  // initdb and postgres refuse to run as root: run them as the `postgres` system user, which must own the dir.
  const asUser = process.getuid?.() === 0 ? systemUser('postgres') : undefined
  if (asUser) chownSync(dir, asUser.uid, asUser.gid)
  chmodSync(dir, 0o700)
  const run = (command: string, args: string[]) => {
    const full = join(found.bin, command)
    const result = asUser
      ? spawnSync(
          'setpriv',
          [`--reuid=${asUser.uid}`, `--regid=${asUser.gid}`, '--clear-groups', full, ...args],
          {
            encoding: 'utf8',
            cwd: dir,
          },
        )
      : spawnSync(full, args, { encoding: 'utf8', cwd: dir })
    if (result.status !== 0) {
      const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : ''
      throw new Error(`${command} failed: ${result.stderr || result.stdout}\n${log.slice(-2000)}`)
    }
  }
  let stopped = false
  const stop = () => {
    if (stopped) return
    stopped = true
    spawnSync(join(found.bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'], {
      stdio: 'ignore',
      ...(asUser && { uid: asUser.uid, gid: asUser.gid }),
    })
    rmSync(dir, { recursive: true, force: true })
  }
  process.once('exit', stop)
  run('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
    '--no-instructions',
  ])
  const port = await freePort()
  // Durability is pointless for a throwaway cluster: no fsync makes the suites faster on a shared machine.
  const fast = ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']
  const serverOptions = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    ...(options.durable ? [] : fast),
    '-c max_connections=400',
    '-c shared_buffers=128MB',
  ].join(' ')
  const start = () =>
    run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', serverOptions, '-w', '-t', '60', 'start'])
  start()
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`
  return {
    adminUrl,
    dataDir: data,
    createDatabase: (name) => createDatabase(adminUrl, name),
    stopServer: () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
    startServer: start,
    stop,
  }
}

let shared: Promise<{ adminUrl: string } | { skip: string }> | undefined

/**
 * The run's shared cluster (the runner's, else one started for this process), or the reason there is none, for
 * `describe(..., { skip })`. Fault tests that restart a server use their own `startPostgresCluster()`.
 */
export function sharedPostgres(): Promise<{ adminUrl: string } | { skip: string }> {
  shared ??= (async () => {
    const url = process.env[SHARED_CLUSTER_ENV]
    if (url) return { adminUrl: url }
    const found = findPostgresBinaries()
    if ('missing' in found) return { skip: found.missing }
    return { adminUrl: (await startPostgresCluster()).adminUrl }
  })()
  return shared
}

/** A fresh database on the shared cluster; `stableKey` (e.g. a server's directory) maps to the same one again. */
export async function sharedTestDatabase(stableKey?: string): Promise<string> {
  const cluster = await sharedPostgres()
  if ('skip' in cluster) throw new Error(cluster.skip)
  const name = stableKey
    ? `t_${createHash('sha256').update(stableKey).digest('hex').slice(0, 24)}`
    : undefined
  return createDatabase(cluster.adminUrl, name)
}

async function createDatabase(
  adminUrl: string,
  name = `t_${randomBytes(12).toString('hex')}`,
): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [name])
    if (exists.rowCount === 0) await client.query(`create database "${name}"`)
  } finally {
    await client.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}

function systemUser(name: string): { uid: number; gid: number } {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' })
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' })
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(`running as root, PostgreSQL needs a non-root system user '${name}' (none found)`)
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error()),
      )
    })
  })
}
