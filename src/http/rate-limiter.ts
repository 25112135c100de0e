import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Clock } from '../lib/clock.js'
import type { HttpServer } from './http-server.js'

const WINDOW_MS = 60_000

/**
 * Per-token request limit like the Cloud's (429 with Retry-After), counted in fixed one-minute windows. Only API
 * tokens are limited: a running update's own calls (update-token) never are, so a limit cannot break a `pulumi up`.
 * Counts are per replica (in memory): with N replicas a token may make up to N × the limit; nothing else depends on
 * them, so losing them on restart is harmless.
 */
export class RateLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>()

  constructor(
    private readonly perMinute: number,
    private readonly clock: Clock,
  ) {}

  /** Seconds to wait when over the limit, else undefined (and the request is counted). */
  take(key: string): number | undefined {
    const now = this.clock.now()
    if (this.#windows.size > 10_000) this.#sweep(now)
    let window = this.#windows.get(key)
    if (!window || now - window.start >= WINDOW_MS) {
      window = { start: now, count: 0 }
      this.#windows.set(key, window)
    }
    if (window.count >= this.perMinute) return Math.max(1, Math.ceil((window.start + WINDOW_MS - now) / 1000))
    window.count++
    return undefined
  }

  #sweep(now: number): void {
    for (const [key, window] of this.#windows) if (now - window.start >= WINDOW_MS) this.#windows.delete(key)
  }
}

/** Registers the limit after authentication (so it counts only known callers). `perMinute` 0: no limit. */
export function registerRateLimit(app: HttpServer, perMinute: number, clock: Clock): void {
  if (perMinute <= 0) return
  const limiter = new RateLimiter(perMinute, clock)
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.config.auth !== 'token') return
    const header = request.headers.authorization ?? ''
    const key = createHash('sha256').update(header).digest('hex')
    const wait = limiter.take(key)
    if (wait === undefined) return
    return reply
      .code(429)
      .header('retry-after', String(wait))
      .send({
        code: 429,
        message: `Too Many Requests: more than ${perMinute} requests a minute with this token; retry in ${wait} s`,
      })
  })
}
