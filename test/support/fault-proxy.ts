import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FaultProxy {
  url: string
  /** Every request seen, as `METHOD /path?query`, in arrival order. */
  readonly requests: string[]
  /** Requests for which this returns a status are answered with it (and an S3-style error body), not forwarded. */
  fail: (method: string, url: string) => number | undefined
  close(): Promise<void>
}

/**
 * A loopback HTTP proxy that forwards requests unchanged (the Host header too, so signed requests still verify)
 * and records them, failing the ones `fail` picks: a store that breaks in the middle of an upload.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target)
  const proxy: FaultProxy = {
    url: '',
    requests: [],
    fail: () => undefined,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
  const server = createServer((req, res) => {
    const method = req.method ?? 'GET'
    const url = req.url ?? '/'
    proxy.requests.push(`${method} ${url}`)
    const status = proxy.fail(method, url)
    if (status !== undefined) {
      req.resume()
      res.writeHead(status, { 'content-type': 'application/xml', connection: 'close' })
      res.end(
        '<?xml version="1.0"?><Error><Code>InjectedFault</Code><Message>injected by the test</Message></Error>',
      )
      return
    }
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method, path: url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    forward.on('error', () => res.destroy())
    req.pipe(forward)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return proxy
}
