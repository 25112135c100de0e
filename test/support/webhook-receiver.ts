// A real HTTP receiver on loopback for webhook tests: records every request, verifies the signature the way the
// Cloud's docs tell integrators to (HMAC-SHA256 of the raw body, constant-time compare), and can be told to fail.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Received {
  headers: IncomingHttpHeaders
  body: string
  json: Record<string, unknown>
  /** undefined: no signature header; otherwise whether it matched the secret. */
  signatureValid: boolean | undefined
}

export type Behaviour = 'ok' | 'fail' | 'hang'

export class WebhookReceiver {
  readonly received: Received[] = []
  /** What to do with the next requests, consumed in order; afterwards `ok`. */
  readonly script: Behaviour[] = []
  #server: Server | undefined
  #waiters: { count: number; resolve: () => void }[] = []

  constructor(private readonly secret = '') {}

  get url(): string {
    const address = this.#server?.address() as AddressInfo
    return `http://127.0.0.1:${address.port}/hook`
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const behaviour = this.script.shift() ?? 'ok'
        if (behaviour === 'hang') return // never answers: the sender's timeout must end it
        const body = Buffer.concat(chunks).toString('utf8')
        const header = req.headers['pulumi-webhook-signature']
        let signatureValid: boolean | undefined
        if (typeof header === 'string') {
          const expected = Buffer.from(createHmac('sha256', this.secret).update(body).digest('hex'))
          const given = Buffer.from(header)
          signatureValid = given.length === expected.length && timingSafeEqual(given, expected)
        }
        this.received.push({
          headers: req.headers,
          body,
          json: JSON.parse(body) as Record<string, unknown>,
          signatureValid,
        })
        res.statusCode = behaviour === 'fail' ? 500 : 200
        res.end(behaviour === 'fail' ? 'try again later' : 'thanks')
        this.#notify()
      })
    })
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve))
    return this
  }

  /** Resolves once `count` requests in all were recorded. */
  waitFor(count: number, timeoutMs = 10_000): Promise<void> {
    if (this.received.length >= count) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`expected ${count} webhook requests, got ${this.received.length}`)),
        timeoutMs,
      )
      this.#waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      })
    })
  }

  #notify(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (this.received.length < w.count) return true
      w.resolve()
      return false
    })
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections()
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()))
  }
}
