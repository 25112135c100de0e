// -management-addr and -pprof (issue 12 part 2): probes, metrics and profiling on their own listener.
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { describe, it } from 'node:test'
import { ConfigError, loadConfig } from '../../src/config/load-config.js'
import { sample, scrape } from '../support/prometheus.js'
import { type TestServer, useTestServer } from '../support/test-server.js'

function managementUrl(server: TestServer): string {
  const address = server.app.management?.server.address() as AddressInfo | null
  assert.ok(address, 'the management listener is up')
  return `http://127.0.0.1:${address.port}`
}

async function get(url: string): Promise<{ status: number; text: string; type: string }> {
  const response = await fetch(url)
  return {
    status: response.status,
    text: await response.text(),
    type: response.headers.get('content-type') ?? '',
  }
}

describe('management listener', () => {
  let server: TestServer
  let management: string
  useTestServer({ args: ['-management-addr=127.0.0.1:0', '-pprof'] }, (started) => {
    server = started
    management = managementUrl(started)
  })

  it('moves the probes and /metrics off the main listener, as the Go server does', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const main = await get(`${server.url}${path}`)
      assert.equal(main.status, 404, `main ${path}`)
      assert.equal(JSON.parse(main.text).code, 404)
      assert.equal((await get(`${management}${path}`)).status, 200, `management ${path}`)
    }
    assert.equal((await get(`${server.url}/`)).status, 200, 'the main listener still answers its root')
  })

  it("scrapes the main listener's requests from the management listener", async () => {
    await server.client.call('GET', '/api/user')
    const text = await scrape(management)
    assert.ok(sample(text, 'pulumi_backend_http_requests_total', { operation: 'getCurrentUser' }) >= 1)
    assert.equal(sample(text, 'pulumi_backend_http_requests_total', { operation: 'getMetrics' }), 0)
  })

  it('takes a CPU profile for the seconds asked', async () => {
    const response = await get(`${management}/debug/pprof/profile?seconds=1`)
    assert.equal(response.status, 200)
    const profile = JSON.parse(response.text) as { nodes: unknown[]; startTime: number; endTime: number }
    assert.ok(
      Array.isArray(profile.nodes) && profile.nodes.length > 0,
      'a V8 .cpuprofile with call-tree nodes',
    )
    assert.ok(profile.endTime > profile.startTime)
  })

  it('refuses a profile length out of range with the error body', async () => {
    for (const seconds of ['0', '301', 'ten']) {
      const response = await get(`${management}/debug/pprof/profile?seconds=${seconds}`)
      assert.equal(response.status, 400, `seconds=${seconds}`)
      const body = JSON.parse(response.text) as { code: number; message: string }
      assert.equal(body.code, 400)
      assert.match(body.message, /seconds/)
    }
  })

  it('streams a heap snapshot', async () => {
    const response = await fetch(`${management}/debug/pprof/heap`)
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-disposition') ?? '', /\.heapsnapshot"$/)
    const snapshot = JSON.parse(await response.text()) as { snapshot: { node_count: number } }
    assert.ok(snapshot.snapshot.node_count > 0)
  })
})

describe('management listener without -pprof', () => {
  let management: string
  useTestServer({ args: ['-management-addr=127.0.0.1:0'] }, (started) => {
    management = managementUrl(started)
  })

  it('serves no profiles', async () => {
    assert.equal((await get(`${management}/debug/pprof/profile?seconds=1`)).status, 404)
    assert.equal((await get(`${management}/debug/pprof/heap`)).status, 404)
    assert.equal((await get(`${management}/healthz`)).status, 200)
  })
})

describe('management options', () => {
  const problems = (args: string[]) => {
    try {
      loadConfig(args, {})
    } catch (error) {
      if (error instanceof ConfigError) return error.problems
      throw error
    }
    return []
  }

  it('refuses -pprof without -management-addr: profiles are never served on the public listener', () => {
    assert.deepEqual(problems(['-pprof']), [
      '-pprof requires -management-addr (profiles are served only there)',
    ])
  })

  it('refuses a management address it cannot listen on', () => {
    const [problem] = problems(['-management-addr=localhost:http'])
    assert.match(problem ?? '', /-management-addr/)
  })

  it('reads PULUMI_BACKEND_MANAGEMENT_ADDR', () => {
    const parsed = loadConfig([], {
      PULUMI_BACKEND_MANAGEMENT_ADDR: '127.0.0.1:9090',
      PULUMI_BACKEND_PPROF: 'true',
    })
    assert.equal(parsed.kind, 'config')
    if (parsed.kind === 'config') {
      assert.deepEqual(parsed.config.management, { addr: { host: '127.0.0.1', port: 9090 }, pprof: true })
    }
  })
})
