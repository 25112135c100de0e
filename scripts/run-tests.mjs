#!/usr/bin/env node
// Runs every test file (unit tests beside the code in src/, layered suites in test/) with node:test via tsx.
// Usage: npm test [-- <path-filter> ...]  e.g. `npm test -- src/updates` runs only files under that path.
// PostgreSQL: when the machine has PostgreSQL server binaries, one throwaway cluster is started for the whole run
// and shared by every test file (each creates its own databases); PULUMI_BACKEND_TEST_DB=postgres runs every test
// server on it instead of SQLite. Without binaries the PostgreSQL suites are skipped, and this says so.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const filters = process.argv.slice(2)

function collect(dir) {
  let out = []
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out = out.concat(collect(path))
    else if (name.endsWith('.test.ts')) out.push(relative(root, path))
  }
  return out
}

const files = ['src', 'test']
  .flatMap((dir) => {
    try {
      return collect(join(root, dir))
    } catch {
      return []
    }
  })
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort()

if (files.length === 0) {
  console.error('no test files matched')
  process.exit(1)
}

// Tests that run the server as operators do (bin/ → dist/) need the compiled build of the current sources.
const RUN_BIN = [
  'test/main',
  'test/conformance/crash-recovery',
  'test/store/migrate-db',
  'test/webhooks/webhook-crash',
  'test/replicas',
]
if (files.some((file) => RUN_BIN.some((prefix) => file.startsWith(prefix)))) {
  const build = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  )
  if (build.status !== 0) process.exit(build.status ?? 1)
}

const env = { ...process.env, NODE_ENV: 'test' }
if (files.some((file) => file.startsWith('test/'))) Object.assign(env, await postgresForTests())

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env },
)
process.exit(result.status ?? 1)

/** Starts the run's shared cluster (stopped and deleted when this process exits), or says why there is none. */
async function postgresForTests() {
  const wanted = process.env.PULUMI_BACKEND_TEST_DB === 'postgres'
  const { register } = await import('tsx/esm/api')
  register()
  const cluster = await import('../test/support/postgres-cluster.ts')
  const found = cluster.findPostgresBinaries()
  if ('missing' in found) {
    if (wanted) {
      console.error(`PULUMI_BACKEND_TEST_DB=postgres, but ${found.missing}`)
      process.exit(1)
    }
    console.log(`NOTE: the PostgreSQL suites are skipped: ${found.missing}`)
    return {}
  }
  // The exit handler that stops the cluster must also run on Ctrl-C.
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130))
  const started = await cluster.startPostgresCluster()
  console.log(
    wanted
      ? 'Every test server runs on PostgreSQL (PULUMI_BACKEND_TEST_DB=postgres).'
      : 'PostgreSQL suites run on a throwaway cluster (PULUMI_BACKEND_TEST_DB=postgres runs every suite on it).',
  )
  return { [cluster.SHARED_CLUSTER_ENV]: started.adminUrl }
}
