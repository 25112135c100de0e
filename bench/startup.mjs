#!/usr/bin/env node
// `node bench/startup.mjs [runs] [-- command args…]`: time from spawning the server to its first answered request
// (GET /healthz), on a fresh database each run. Default command: `node bin/pulumi-backend.js`. Figures only.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const dash = process.argv.indexOf('--')
const runs = Number(process.argv[2] && process.argv[2] !== '--' ? process.argv[2] : 5)
const command =
  dash >= 0 ? process.argv.slice(dash + 1) : [process.execPath, join(root, 'bin/pulumi-backend.js')]

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

function answered(port) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz' }, (res) => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.on('error', () => resolve(false))
    req.end()
  })
}

async function once() {
  const dir = mkdtempSync(join(tmpdir(), 'pulumi-backend-startup-'))
  const port = await freePort()
  const args = [`-addr=127.0.0.1:${port}`, `-db=${join(dir, 'db.sqlite')}`, `-master-key=${'ab'.repeat(32)}`]
  const started = performance.now()
  const child = spawn(command[0], [...command.slice(1), ...args], { cwd: root, stdio: 'ignore' })
  try {
    while (!(await answered(port))) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`)
      await new Promise((r) => setTimeout(r, 5))
    }
    return performance.now() - started
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
    rmSync(dir, { recursive: true, force: true })
  }
}

const times = []
for (let i = 0; i < runs; i++) times.push(await once())
times.sort((a, b) => a - b)
const median = times[Math.floor(times.length / 2)]
console.log(
  `start → first answered request over ${runs} runs: median ${median.toFixed(0)} ms ` +
    `(min ${times[0].toFixed(0)}, max ${times.at(-1).toFixed(0)}) — ${command.join(' ')}`,
)
