import type { FastifyRequest } from 'fastify'
import { InvalidError } from '../errors.js'
import type { AccessTokenService } from '../identity/access-token-service.js'
import type { Clock } from '../lib/clock.js'
import { parseDecimalInteger } from '../lib/decimal.js'
import { formOf, type PageRegistrar, userFrame, userOf } from './console-page.js'
import { checkCsrf } from './console-session.js'
import type { ConsoleFlash } from './flash/console-flash.js'
import { tokensPage } from './pages/tokens-page.js'

/** A token just created, carried to the next GET by the flash (never in a URL). */
export interface CreatedToken {
  description: string
  token: string
}

/** The form's description and expiry, as POST /api/user/tokens and /api/orgs/{org}/tokens take them. */
export function tokenForm(form: URLSearchParams, clock: Clock): { description: string; expires: number } {
  const description = (form.get('description') ?? '').trim()
  const days = parseDecimalInteger(form.get('days') || '0', 0)
  if (description === '' || days === undefined) {
    throw new InvalidError(
      'Bad Request: a token needs a description and a whole number of days (0 = never expires)',
    )
  }
  return { description, expires: days === 0 ? 0 : Math.floor(clock.now() / 1000) + days * 86_400 }
}

/** Personal tokens: the same use cases as /api/user/tokens. Creation is POST-redirect-GET, so a reload never re-posts. */
export function consoleTokenRoutes(
  page: PageRegistrar,
  deps: { tokens: AccessTokenService; clock: Clock; flash: ConsoleFlash },
): void {
  page('GET', '/tokens', 'tokens', 'session', async (request: FastifyRequest) => {
    const created = await deps.flash.take<CreatedToken>(request)
    return tokensPage(await deps.tokens.listPersonal(userOf(request)), created, userFrame(request))
  })

  page('POST', '/tokens', 'token create', 'session', async (request, reply) => {
    const form = formOf(request)
    checkCsrf(request, form)
    const input = tokenForm(form, deps.clock)
    // The token is sealed for this session only and shown by the next GET, then gone; it is never stored in clear.
    const { token } = await deps.tokens.createPersonal(userOf(request), input)
    await deps.flash.put(request, { description: input.description, token } satisfies CreatedToken)
    void reply.redirect('/tokens', 303)
    return undefined
  })

  page('POST', '/tokens/:tokenId/revoke', 'token revoke', 'session', async (request, reply) => {
    checkCsrf(request, formOf(request))
    await deps.tokens.deletePersonal(userOf(request), (request.params as { tokenId: string }).tokenId)
    void reply.redirect('/tokens', 303)
    return undefined
  })
}
