// An HTTP client that speaks exactly as the pulumi CLI does (pkg/backend/httpstate/client/api.go :: pulumiAPICall):
// same headers, gzip request bodies on the same calls, gzip response decoding, error bodies parsed the CLI's way.
// Used by conformance tests, API tests and the benchmark load generator.
import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { gunzipSync, gzipSync } from 'node:zlib'

export const CLI_VERSION = 'v3.200.0'

export interface CliResponse<T = unknown> {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** Decoded (gunzipped) body bytes. */
  raw: Buffer
  /** Raw bytes received on the wire. */
  wireBytes: number
  body: T
}

/** apitype.ErrorResponse as the CLI decodes it: `code` from the body when it is JSON (api.go :: decodeError). */
export class CliApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly apiMessage: string,
    readonly response: CliResponse,
  ) {
    super(`[${code}] ${apiMessage}`)
  }
}

export interface CallOptions {
  /** `token` (default) or `update-token`, as in client.go :: updateRESTCall. */
  auth?: { kind: 'token' | 'update-token'; token: string } | undefined
  body?: unknown
  /** Send these exact bytes as the (uncompressed) body instead of json-marshalling `body`. */
  rawBody?: Buffer | undefined
  gzip?: boolean
  /** The cobra command, for the User-Agent (`cmd=stack-ls`). */
  command?: string
  headers?: Record<string, string>
  acceptGzip?: boolean
  /**
   * A call's own Accept value (template downloads: `application/x-tar`). The CLI copies it in and then *adds*
   * its API version, so two Accept header lines are sent (api.go :: pulumiAPICall).
   */
  accept?: string
}

// Go's http.DefaultClient keeps connections alive between calls, and so do we.
const httpAgent = new HttpAgent({ keepAlive: true })
const httpsAgent = new HttpsAgent({ keepAlive: true, rejectUnauthorized: false })

export class CliClient {
  constructor(
    readonly baseUrl: string,
    public token: string,
  ) {}

  async call<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<CliResponse<T>> {
    const url = new URL(this.baseUrl.replace(/\/$/, '') + path)
    const auth = options.auth ?? { kind: 'token', token: this.token }
    const headers: Record<string, string | string[]> = {
      'Content-Type': 'application/json',
      Accept: options.accept ? [options.accept, 'application/vnd.pulumi+9'] : 'application/vnd.pulumi+9',
      'User-Agent': `pulumi-cli/1 (${CLI_VERSION}; linux${options.command ? `; cmd=${options.command}` : ''})`,
      ...(options.acceptGzip === false ? {} : { 'Accept-Encoding': 'gzip' }),
      ...options.headers,
    }
    if (auth.token !== '') headers.Authorization = `${auth.kind} ${auth.token}`
    let payload: Buffer | undefined
    if (options.rawBody !== undefined) payload = options.rawBody
    else if (options.body !== undefined) payload = Buffer.from(goJsonMarshal(options.body))
    if (payload !== undefined && options.gzip) {
      payload = gzipSync(payload)
      headers['Content-Encoding'] = 'gzip'
    }
    // The CLI always sends a Content-Length (bytes.Reader), even for an empty POST body.
    headers['Content-Length'] = String(payload?.length ?? 0)
    const response = await send(url, method, headers, payload)
    if (response.status >= 400) {
      let code = response.status
      let message = response.raw.toString('utf8').trim()
      try {
        const parsed = JSON.parse(message) as { code?: number; message?: string }
        code = parsed.code ?? 0
        message = parsed.message ?? ''
      } catch {}
      throw new CliApiError(response.status, code, message, response)
    }
    return response as CliResponse<T>
  }
}

async function send(
  url: URL,
  method: string,
  headers: Record<string, string | string[]>,
  payload: Buffer | undefined,
): Promise<CliResponse> {
  const requestFn = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const agent = url.protocol === 'https:' ? httpsAgent : httpAgent
    const req = requestFn(url, { method, headers, agent, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => {
        try {
          const wire = Buffer.concat(chunks)
          const encoding = res.headers['content-encoding']
          // api.go :: readBody accepts only gzip/x-gzip or no encoding at all.
          if (encoding !== undefined && encoding !== 'gzip' && encoding !== 'x-gzip') {
            throw new Error(`unrecognized encoding ${encoding}`)
          }
          const raw = encoding ? gunzipSync(wire) : wire
          let body: unknown
          const json = !/^application\/(gzip|x-tar|x-yaml)/.test(res.headers['content-type'] ?? '')
          if (json && raw.length > 0 && res.statusCode !== undefined && res.statusCode < 400) {
            body = JSON.parse(raw.toString('utf8'))
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, wireBytes: wire.length, body })
        } catch (error) {
          reject(error)
        }
      })
    })
    req.on('error', reject)
    if (payload !== undefined) req.write(payload)
    req.end()
  })
}

/** json.Marshal's escaping: compact, with <, > and & as \u003c, \u003e, \u0026 (HTML-safe), as the CLI sends. */
export function goJsonMarshal(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}
