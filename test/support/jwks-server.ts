import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { JWK } from 'jose'

/** A JWKS endpoint on loopback whose key set a test can rotate; counts fetches. */
export class JwksServer {
  keys: JWK[] = []
  fetches = 0
  /** Extra JSON documents by path (e.g. /.well-known/openid-configuration). */
  documents = new Map<string, unknown>()
  readonly #server: Server
  url = ''

  constructor() {
    this.#server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0] ?? '/'
      const body = path === '/jwks' ? { keys: this.keys } : this.documents.get(path)
      if (path === '/jwks') this.fetches++
      if (body === undefined) {
        response.writeHead(404).end()
        return
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    })
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
    return this
  }

  get jwksUrl(): string {
    return `${this.url}/jwks`
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}
