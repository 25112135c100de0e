import { createHash, hkdfSync } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { readCookie, SESSION_COOKIE } from '../../http/session-cookie.js'
import type { Clock } from '../../lib/clock.js'
import { open, seal } from '../../secrets/aes-gcm.js'
import type { FlashStore } from './flash-store.js'

/** How long a message waits for the redirected GET. */
const FLASH_TTL_MS = 60_000

/**
 * One-time messages for POST-redirect-GET (a new token is shown once, never put in a URL). The row id and the
 * sealing key are both derived from the session cookie, which the server never stores: the database holds only
 * ciphertext that no one but this browser's session can open.
 */
export class ConsoleFlash {
  constructor(
    private readonly store: FlashStore,
    private readonly clock: Clock,
  ) {}

  async put(request: FastifyRequest, message: unknown): Promise<void> {
    const session = sessionOf(request)
    const sealed = seal(keyOf(session), Buffer.from(JSON.stringify(message)), 'console flash')
    await this.store.put(
      idOf(session),
      sealed.toString('base64'),
      this.clock.now() + FLASH_TTL_MS,
      this.clock.now(),
    )
  }

  async take<T>(request: FastifyRequest): Promise<T | undefined> {
    const session = sessionOf(request)
    const sealed = await this.store.take(idOf(session), this.clock.now())
    if (sealed === undefined) return undefined
    const plain = open(keyOf(session), Buffer.from(sealed, 'base64'), 'console flash')
    return plain ? (JSON.parse(plain.toString('utf8')) as T) : undefined
  }
}

function sessionOf(request: FastifyRequest): string {
  return readCookie(request.headers.cookie, SESSION_COOKIE) ?? ''
}

function idOf(session: string): string {
  return createHash('sha256').update(`pulumi-backend console flash id\0${session}`).digest('hex')
}

function keyOf(session: string): Buffer {
  return Buffer.from(hkdfSync('sha256', session, 'pulumi-backend', 'console flash key', 32))
}
