// Every installed package must run on the oldest Node.js this project supports (package.json `engines.node`):
// npm only warns about an engine mismatch, so a minor upgrade could silently drop Node 20 (cookie@2 did, through
// light-my-request; package.json pins that one with an override).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import semver from 'semver'

const root = new URL('../../', import.meta.url)
const readJson = (path: string) => JSON.parse(readFileSync(new URL(path, root), 'utf8'))

test('every package in the lockfile supports the oldest Node.js version we support', () => {
  const ours = readJson('package.json').engines.node as string
  const oldest = semver.minVersion(ours)
  assert.ok(oldest, `package.json engines.node ${ours} has no minimum`)
  const lock = readJson('package-lock.json') as {
    packages: Record<string, { engines?: { node?: string } | string[] }>
  }
  const refusing = Object.entries(lock.packages)
    .map(([path, entry]) => ({ path, range: Array.isArray(entry.engines) ? undefined : entry.engines?.node }))
    .filter(
      ({ range }) => range !== undefined && !semver.satisfies(oldest, range, { includePrerelease: true }),
    )
    .map(({ path, range }) => `${path.replace(/^node_modules\//, '')} wants node ${range}`)
  assert.deepEqual(refusing, [], `these packages refuse Node ${oldest}`)
})
