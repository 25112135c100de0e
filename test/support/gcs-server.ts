import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { LoopbackHttpService, readBody } from './loopback-http.js'

interface StoredObject {
  data: Buffer
  contentType: string
  generation: number
  updated: string
}

/**
 * A local Cloud Storage speaking the JSON API the official @google-cloud/storage client uses (reached through the
 * standard STORAGE_EMULATOR_HOST): bucket lookup, multipart upload, listing by prefix with pages, media download
 * and delete. Object resources carry md5Hash as GCS does, so the client's upload validation runs for real.
 */
export class LocalGcs extends LoopbackHttpService {
  readonly buckets = new Map<string, Map<string, StoredObject>>()
  #generation = 1

  constructor(buckets: string[]) {
    super()
    for (const name of buckets) this.buckets.set(name, new Map())
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req)
    const url = new URL(req.url ?? '/', 'http://x')
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(value))
    }
    const notFound = (message: string) =>
      json(404, { error: { code: 404, message, errors: [{ message, reason: 'notFound' }] } })
    // With STORAGE_EMULATOR_HOST the client drops the /storage/v1 prefix; accept both spellings.
    const match = /^\/(?:upload\/|download\/)?(?:storage\/v1\/)?b\/([^/]+)(?:\/o(?:\/(.+))?)?$/.exec(
      url.pathname,
    )
    if (!match) return notFound(`no route ${req.method} ${url.pathname}`)
    const [, bucketName = '', encodedObject] = match
    const bucket = this.buckets.get(bucketName)
    if (!bucket) return notFound('The specified bucket does not exist.')
    const resource = (name: string, object: StoredObject) => ({
      kind: 'storage#object',
      id: `${bucketName}/${name}/${object.generation}`,
      name,
      bucket: bucketName,
      generation: String(object.generation),
      contentType: object.contentType,
      size: String(object.data.length),
      md5Hash: createHash('md5').update(object.data).digest('base64'),
      updated: object.updated,
    })

    if (req.method === 'GET' && !/\/o(\/|$)/.test(url.pathname))
      return json(200, { kind: 'storage#bucket', name: bucketName })
    if (req.method === 'POST' && url.searchParams.has('uploadType')) {
      if (url.searchParams.get('uploadType') !== 'multipart')
        return json(400, { error: { code: 400, message: 'only multipart uploads here' } })
      const boundary = /boundary="?([^";]+)"?/.exec(String(req.headers['content-type']))?.[1]
      if (!boundary) return json(400, { error: { code: 400, message: 'no multipart boundary' } })
      const parts = splitMultipart(body, boundary)
      const metadata = JSON.parse(parts[0]?.body.toString('utf8') ?? '{}') as {
        name?: string
        contentType?: string
      }
      const name = metadata.name ?? url.searchParams.get('name') ?? ''
      const media = parts[1]
      if (!name || !media) return json(400, { error: { code: 400, message: 'missing name or media' } })
      const object = {
        data: media.body,
        contentType: metadata.contentType ?? 'application/octet-stream',
        generation: this.#generation++,
        updated: new Date().toISOString(),
      }
      bucket.set(name, object)
      return json(200, resource(name, object))
    }
    if (req.method === 'GET' && encodedObject === undefined) {
      const prefix = url.searchParams.get('prefix') ?? ''
      const names = [...bucket.keys()].filter((n) => n.startsWith(prefix)).sort()
      const start = Number(url.searchParams.get('pageToken') ?? 0)
      const size = Number(url.searchParams.get('maxResults') ?? 2)
      const page = names.slice(start, start + size)
      return json(200, {
        kind: 'storage#objects',
        items: page.map((n) => resource(n, bucket.get(n) as StoredObject)),
        ...(start + size < names.length && { nextPageToken: String(start + size) }),
      })
    }
    const name = decodeURIComponent(encodedObject ?? '')
    const object = bucket.get(name)
    if (!object) return notFound(`No such object: ${bucketName}/${name}`)
    if (req.method === 'DELETE') {
      bucket.delete(name)
      res.writeHead(204).end()
      return
    }
    if (req.method === 'GET' && url.searchParams.get('alt') === 'media') {
      res.writeHead(200, { 'content-type': object.contentType, 'content-length': object.data.length })
      res.end(object.data)
      return
    }
    if (req.method === 'GET') return json(200, resource(name, object))
    return json(405, { error: { code: 405, message: 'method not allowed' } })
  }
}

function splitMultipart(body: Buffer, boundary: string): { headers: string; body: Buffer }[] {
  const delimiter = Buffer.from(`--${boundary}`)
  const parts: { headers: string; body: Buffer }[] = []
  let start = body.indexOf(delimiter)
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length)
    if (next === -1) break
    const part = body.subarray(start + delimiter.length + 2, next - 2)
    const split = part.indexOf('\r\n\r\n')
    parts.push({ headers: part.subarray(0, split).toString(), body: part.subarray(split + 4) })
    start = next
  }
  return parts
}
