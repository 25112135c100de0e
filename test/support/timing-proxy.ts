// A loopback HTTP proxy between the real CLI and the server: it forwards every request unchanged, sums the
// server's own handling time from each response's `Server-Timing: app;dur=<ms>` header (the benchmark reports
// the server's share of a CLI command's wall time) and counts requests per kind (tests check which upload
// mode the CLI used).
import { Agent, createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface TimingProxy {
  url: string
  /** Requests and summed server time since the last take(). */
  take(): { requests: number; serverMs: number }
  /** Requests so far per kind: `METHOD last-path-segment`, e.g. `PATCH journalentries`. */
  readonly kinds: Map<string, number>
  close(): Promise<void>
}

const SERVER_TIMING = /app;dur=([0-9.]+)/

export async function startTimingProxy(target: string): Promise<TimingProxy> {
  const upstream = new URL(target)
  const agent = new Agent({ keepAlive: true })
  let requests = 0
  let serverMs = 0
  const kinds = new Map<string, number>()
  const server = createServer((req, res) => {
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        agent,
      },
      (upstreamRes) => {
        requests++
        const kind = `${req.method} ${(req.url ?? '').split('?')[0]?.split('/').pop()}`
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
        const timing = SERVER_TIMING.exec(String(upstreamRes.headers['server-timing'] ?? ''))
        if (timing?.[1]) serverMs += Number(timing[1])
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers)
        upstreamRes.pipe(res)
      },
    )
    forward.on('error', () => {
      res.writeHead(502).end()
    })
    req.pipe(forward)
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    kinds,
    take() {
      const out = { requests, serverMs: Math.round(serverMs) }
      requests = 0
      serverMs = 0
      return out
    },
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      agent.destroy()
    },
  }
}
