import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { ForbiddenError } from '../errors.js'
import { readCookie, SESSION_COOKIE } from '../http/session-cookie.js'

/**
 * The session is the access token itself in an HttpOnly cookie, checked by the identity service on every request
 * (so revoking the token ends the session on every replica). The CSRF token is derived from it: a page can only
 * post back what it was served, and another site can neither read the cookie nor compute the token.
 */
export function csrfTokenOf(request: FastifyRequest): string {
  const token = readCookie(request.headers.cookie, SESSION_COOKIE) ?? ''
  return createHash('sha256').update(`pulumi-backend console csrf\0${token}`).digest('base64url')
}

/** Every console change: the form's CSRF token must match the session's, and the Origin (when sent) must be ours. */
export function checkCsrf(request: FastifyRequest, form: URLSearchParams): void {
  checkOrigin(request)
  const sent = Buffer.from(form.get('csrf') ?? '')
  const expected = Buffer.from(csrfTokenOf(request))
  if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
    throw new ForbiddenError(
      'Forbidden: the form is stale or came from another site; reload the page and retry',
    )
  }
}

/** Sign-in has no session yet: the Origin check alone keeps other sites from signing a browser in. */
export function checkOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin
  if (origin === undefined) return
  const host = request.headers.host
  let originHost: string | undefined
  try {
    originHost = new URL(origin).host
  } catch {
    originHost = undefined
  }
  if (originHost !== host)
    throw new ForbiddenError('Forbidden: this form must be sent from the console itself')
}

export function isHttps(request: FastifyRequest): boolean {
  return request.protocol === 'https'
}
