import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Listens on a free loopback port; returns it. */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** Closes the server, dropping kept-alive client connections instead of waiting for them. */
export async function closeNow(server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** A fake service on a loopback HTTP port: subclasses answer requests in `handle`. */
export abstract class LoopbackHttpService {
  readonly #server = createServer((req, res) => void this.handle(req, res))
  /** http://127.0.0.1:<port>, once started. */
  endpoint = ''

  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>

  async start(): Promise<void> {
    this.endpoint = `http://127.0.0.1:${await listenOnLoopback(this.#server)}`
  }

  close(): Promise<void> {
    return closeNow(this.#server)
  }
}
