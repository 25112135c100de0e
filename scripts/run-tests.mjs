#!/usr/bin/env node
// Runs every test file (unit tests beside the code in src/, layered suites in test/) with node:test via tsx.
// Usage: npm test [-- <path-filter> ...]  e.g. `npm test -- src/updates` runs only files under that path.
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
if (files.some((file) => file.startsWith('test/main'))) {
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

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
)
process.exit(result.status ?? 1)
