import { InvalidError } from '../errors.js'
import type { HttpServer } from '../http/http-server.js'
import type { TokenExchangeService } from './token-exchange.js'

/** POST /api/oauth/token as Pulumi Cloud serves it: form-encoded (the CLI) or JSON (pulumi/auth-actions). */
export function oauthTokenRoutes(app: HttpServer, deps: { exchange: TokenExchangeService }): void {
  app.route({
    method: 'POST',
    url: '/api/oauth/token',
    config: { operationId: 'Token', auth: 'public', rawBody: true },
    handler: async (request) => {
      const form = parseForm(request.headers['content-type'] ?? '', request.body as Buffer)
      const grant = await deps.exchange.exchange(form)
      request.log.info(
        { audit: true, action: 'oidcTokenExchange', tokenType: grant.issued_token_type },
        'audit',
      )
      return grant
    },
  })
}

function parseForm(contentType: string, body: Buffer): Record<string, string> {
  const text = body.toString('utf8')
  if (contentType.toLowerCase().startsWith('application/json')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new InvalidError('Bad Request: the request body is not valid JSON')
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new InvalidError('Bad Request: expected a JSON object')
    // Numbers (expiration) arrive as JSON numbers from some clients.
    return Object.fromEntries(
      Object.entries(parsed)
        .filter(([, v]) => typeof v === 'string' || typeof v === 'number')
        .map(([k, v]) => [k, String(v)]),
    )
  }
  return Object.fromEntries(new URLSearchParams(text))
}
