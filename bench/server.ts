// Starts the server as a child process on loopback with a real SQLite file (or, after useBenchDatabase('postgres'),
// a fresh database on a throwaway PostgreSQL cluster), as a user would run it.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CliClient } from '../test/support/cli-client.js'
import { type PostgresCluster, startPostgresCluster } from '../test/support/postgres-cluster.js'

export type BenchDatabase = 'sqlite' | 'postgres'
let database: BenchDatabase = 'sqlite'
let cluster: PostgresCluster | undefined

/** Where the servers started from now on keep their data; one PostgreSQL cluster serves the whole run. */
export async function useBenchDatabase(kind: BenchDatabase): Promise<void> {
  database = kind
  if (kind === 'postgres') cluster ??= await startPostgresCluster({ durable: true })
}

export interface BenchServer {
  url: string
  token: string
  masterKey: string
  pid: number
  dbPath: string
  client: CliClient
  /** DB file + WAL + SHM size in bytes (SQLite; 0 on PostgreSQL, whose files are the cluster's). */
  storedBytes(): number
  /** VmRSS of the child in bytes (0 when unreadable). */
  rssBytes(): number
  /**
   * Bytes the child caused to be written to storage (`write_bytes` of /proc/<pid>/io; 0 when unreadable). On
   * PostgreSQL, what the database server's processes wrote instead (the server process itself writes nothing).
   */
  ioWriteBytes(): number
  /** The last few KB of the child's stderr (its warn/error log lines). */
  logs(): string
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export function readRss(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match?.[1] ? Number(match[1]) * 1024 : 0
  } catch {
    return 0
  }
}

export function readWriteBytes(pid: number): number {
  try {
    const match = /^write_bytes:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))
    return match?.[1] ? Number(match[1]) : 0
  } catch {
    return 0
  }
}

/** Bytes written to storage by the PostgreSQL server process and its live children (backends, WAL writer…). */
function postgresWriteBytes(dataDir: string): number {
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
  let total = readWriteBytes(postmaster)
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so split after its closing paren.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === postmaster) total += readWriteBytes(Number(entry))
    } catch {
      // The process ended meanwhile.
    }
  }
  return total
}

function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0
}

/** `replicaOf`: another replica of that server (PostgreSQL): the same database, master key and token. */
export async function startServer(extraArgs: string[] = [], replicaOf?: BenchServer): Promise<BenchServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pulumi-backend-bench-'))
  const dbPath =
    replicaOf?.dbPath ??
    (cluster && database === 'postgres' ? await cluster.createDatabase() : join(dir, 'bench.db'))
  const token = replicaOf?.token ?? `bench-${randomBytes(8).toString('hex')}`
  const masterKey = replicaOf?.masterKey ?? randomBytes(32).toString('hex')
  const port = await freePort()
  const child: ChildProcess = spawn(
    process.execPath,
    [
      // `BENCH_PROFILE_DIR=dir npm run bench` writes a V8 CPU profile of the server there (--cpu-prof).
      ...(process.env.BENCH_PROFILE_DIR
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
        : []),
      'bin/pulumi-backend.js',
      `-addr=127.0.0.1:${port}`,
      `-db=${dbPath}`,
      `-master-key=${masterKey}`,
      `-single-tenant-token=${token}`,
      '-org=acme',
      '-user=alice',
      '-log-format=json',
      ...extraArgs,
    ],
    { env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stderr = ''
  // `BENCH_SERVER_LOG=file npm run bench`: every server's whole log is appended there (the tail kept below is
  // only printed when a workload fails, and may have lost the first error).
  const keep = (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000)
    if (process.env.BENCH_SERVER_LOG) appendFileSync(process.env.BENCH_SERVER_LOG, chunk)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const url = `http://127.0.0.1:${port}`
  const client = new CliClient(url, token)
  // Generous: on a shared, loaded machine a start (node, then migrations on PostgreSQL) can take many seconds.
  const deadline = Date.now() + 90_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}): ${stderr}`)
    try {
      await client.call('GET', '/api/capabilities')
      break
    } catch (error) {
      if (Date.now() > deadline) {
        // Else the child outlives the failed run and keeps the bench process (and its cluster) alive.
        child.kill('SIGKILL')
        throw new Error(`server did not start: ${String(error)} ${stderr}`)
      }
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  const pid = child.pid ?? 0
  return {
    url,
    token,
    masterKey,
    pid,
    dbPath,
    client,
    storedBytes: () => fileSize(dbPath) + fileSize(`${dbPath}-wal`) + fileSize(`${dbPath}-shm`),
    rssBytes: () => readRss(pid),
    ioWriteBytes: () =>
      cluster && database === 'postgres' ? postgresWriteBytes(cluster.dataDir) : readWriteBytes(pid),
    logs: () => stderr,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(timer)
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Runs `work` against a fresh server, printing the server's log if it fails, and always stops the server. */
export async function withServer<T>(
  extraArgs: string[],
  work: (server: BenchServer) => Promise<T>,
): Promise<T> {
  const server = await startServer(extraArgs)
  try {
    return await work(server)
  } catch (error) {
    console.error(server.logs())
    throw error
  } finally {
    await server.stop()
  }
}
