import { createHmac } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { guardedLookup, RefusedTargetError, refusedLiteral } from './ssrf-guard.js'

export interface OutgoingWebhook {
  url: string
  eventId: string
  kind: string
  body: string
  /** The hook's shared secret in clear, or '' (then no signature header). */
  secret: string
}

export interface SendResult {
  durationMs: number
  requestHeaders: Record<string, string>
  /** 0: no HTTP answer (refused target, timeout, network error; `error` says which). */
  status: number
  responseHeaders: Record<string, string>
  responseExcerpt: string
  error: string | undefined
}

export interface SenderConfig {
  timeoutMs: number
  allowPrivate: boolean
  /** Bytes of the answer kept (and read at most); the rest is discarded. */
  maxResponseBytes: number
}

/** Pulumi-Webhook-Signature: lower-case hex HMAC-SHA256 of the raw body keyed by the secret (pulumi/docs webhooks.md). */
export function signature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('hex')
}

/** One POST of a webhook, never throwing: every outcome becomes a SendResult for the delivery history. */
export async function sendWebhook(
  out: OutgoingWebhook,
  config: SenderConfig,
  now: () => number,
): Promise<SendResult> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'pulumi-backend-webhooks/1',
    'Pulumi-Webhook-ID': out.eventId,
    'Pulumi-Webhook-Kind': out.kind,
  }
  if (out.secret) headers['Pulumi-Webhook-Signature'] = signature(out.secret, out.body)
  const started = now()
  const result = (partial: Partial<SendResult>): SendResult => ({
    durationMs: Math.max(0, now() - started),
    requestHeaders: redacted(headers),
    status: 0,
    responseHeaders: {},
    responseExcerpt: '',
    error: undefined,
    ...partial,
  })
  let url: URL
  try {
    url = new URL(out.url)
  } catch {
    return result({ error: 'the payload URL is not valid' })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return result({ error: 'only http and https are allowed' })
  const literal = refusedLiteral(url.hostname, config.allowPrivate)
  if (literal) return result({ error: `refused: ${literal}` })
  return new Promise<SendResult>((resolve) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    const body = Buffer.from(out.body, 'utf8')
    const req = send(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(body.length) },
        lookup: guardedLookup(config.allowPrivate) as never,
        timeout: config.timeoutMs,
        // Redirects are not followed: a 3xx is the answer (it could point anywhere, internal addresses included).
      },
      (res) => {
        const chunks: Buffer[] = []
        let kept = 0
        res.on('data', (chunk: Buffer) => {
          if (kept >= config.maxResponseBytes) {
            res.destroy()
            return
          }
          const part = chunk.subarray(0, config.maxResponseBytes - kept)
          chunks.push(part)
          kept += part.length
        })
        const finish = () =>
          resolve(
            result({
              status: res.statusCode ?? 0,
              responseHeaders: flatHeaders(res.headers),
              responseExcerpt: Buffer.concat(chunks).toString('utf8'),
            }),
          )
        res.on('end', finish)
        res.on('close', finish)
        res.on('error', finish)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`no answer within ${config.timeoutMs} ms`)))
    req.on('error', (error) =>
      resolve(
        result({
          error: error instanceof RefusedTargetError ? `refused: ${error.message}` : error.message,
        }),
      ),
    )
    req.end(body)
  })
}

/** The delivery history shows request headers; the signature is derived from the secret and stays out of it. */
function redacted(headers: Record<string, string>): Record<string, string> {
  const copy = { ...headers }
  if (copy['Pulumi-Webhook-Signature']) copy['Pulumi-Webhook-Signature'] = '(redacted)'
  return copy
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}
