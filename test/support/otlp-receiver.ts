import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'

export interface OtlpExport {
  contentType: string
  body: Buffer
}

/** A local OTLP/HTTP trace receiver (what an OpenTelemetry Collector's port 4318 does): keeps every export. */
export class OtlpReceiver {
  readonly exports: OtlpExport[] = []
  #server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const raw = Buffer.concat(chunks)
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw
      if (req.method === 'POST' && req.url === '/v1/traces') {
        this.exports.push({ contentType: String(req.headers['content-type']), body })
        const json = String(req.headers['content-type']).includes('json')
        res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' })
        res.end(json ? '{}' : '')
      } else {
        res.writeHead(404).end()
      }
    })
  })
  endpoint = ''

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    this.endpoint = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/v1/traces`
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}

export interface ExportedSpan {
  name: string
  kind: number
  traceId: string
  spanId: string
  parentSpanId?: string
  attributes: Record<string, unknown>
  service: string
}

/** Every span of OTLP/JSON exports, flattened, with its resource's service.name. */
export function jsonSpans(exports: readonly OtlpExport[]): ExportedSpan[] {
  type Attr = { key: string; value: Record<string, unknown> }
  const attrs = (list: Attr[] = []) => Object.fromEntries(list.map((a) => [a.key, Object.values(a.value)[0]]))
  const out: ExportedSpan[] = []
  for (const { body } of exports) {
    const request = JSON.parse(body.toString('utf8')) as {
      resourceSpans: {
        resource: { attributes: Attr[] }
        scopeSpans: { spans: (ExportedSpan & { attributes: Attr[] })[] }[]
      }[]
    }
    for (const resourceSpans of request.resourceSpans) {
      const service = String(attrs(resourceSpans.resource.attributes)['service.name'])
      for (const scope of resourceSpans.scopeSpans) {
        for (const span of scope.spans) out.push({ ...span, attributes: attrs(span.attributes), service })
      }
    }
  }
  return out
}
