import { createReadStream, createWriteStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { S3Client } from '@aws-sdk/client-s3'
import { BACKUP_NAME, type BackupDestination } from './destination.js'
import { DEFAULT_MULTIPART, type MultipartSizes, uploadMultipart } from './s3-multipart.js'

export interface S3Options {
  bucket: string
  prefix: string
  region: string
  /** Custom endpoint for S3-compatible stores (MinIO, R2, B2, …); empty for AWS. */
  endpoint: string | undefined
  forcePathStyle: boolean
  /** Multipart sizes; tests make them tiny so a small backup goes in several parts. */
  multipart?: MultipartSizes
}

type S3Module = typeof import('@aws-sdk/client-s3')

/**
 * `-backup-destination s3://bucket/prefix` through the official AWS SDK, loaded only when configured. Credentials
 * come from the SDK's default chain (environment, shared files, instance or task roles) and never pass through
 * this code. A single PutObject is atomic: the object appears under its key whole or not at all; a file larger than
 * the multipart threshold (a single PUT takes at most 5 GB) goes in parts, which become the object only on completion.
 */
export class S3Destination implements BackupDestination {
  readonly kind = 's3'
  readonly description: string
  #client: Promise<{ s3: S3Module; client: S3Client }> | undefined

  constructor(private readonly options: S3Options) {
    this.description = `s3://${options.bucket}/${options.prefix}`
  }

  async check(): Promise<void> {
    const { s3, client } = await this.#connect()
    await client.send(new s3.HeadBucketCommand({ Bucket: this.options.bucket }))
  }

  async put(name: string, path: string): Promise<string> {
    const { s3, client } = await this.#connect()
    const key = this.options.prefix + name
    const { size } = await stat(path)
    const multipart = this.options.multipart ?? DEFAULT_MULTIPART
    if (size > multipart.thresholdBytes) {
      const target = { bucket: this.options.bucket, key, path, size, contentType: 'application/gzip' }
      await uploadMultipart(s3, client, target, multipart)
      return key
    }
    await client.send(
      new s3.PutObjectCommand({
        Bucket: this.options.bucket,
        Key: key,
        Body: createReadStream(path),
        ContentLength: size,
        ContentType: 'application/gzip',
      }),
    )
    return key
  }

  async list(): Promise<string[]> {
    const { s3, client } = await this.#connect()
    const names: string[] = []
    let token: string | undefined
    do {
      const page = await client.send(
        new s3.ListObjectsV2Command({
          Bucket: this.options.bucket,
          Prefix: this.options.prefix,
          ContinuationToken: token,
        }),
      )
      for (const object of page.Contents ?? []) {
        const name = object.Key?.slice(this.options.prefix.length) ?? ''
        if (BACKUP_NAME.test(name)) names.push(name)
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
    // Names embed their creation time, so name order is age order (no reliance on the store's clock).
    return names.sort((a, b) => b.localeCompare(a))
  }

  async delete(name: string): Promise<void> {
    const { s3, client } = await this.#connect()
    await client.send(
      new s3.DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.options.prefix + name }),
    )
  }

  async fetch(name: string, path: string): Promise<void> {
    await this.fetchKey(this.options.prefix + name, path)
  }

  /** Downloads an object by its full key (restore --from s3://bucket/key). */
  async fetchKey(key: string, path: string): Promise<void> {
    const { s3, client } = await this.#connect()
    const answer = await client.send(new s3.GetObjectCommand({ Bucket: this.options.bucket, Key: key }))
    if (!answer.Body) throw new Error(`s3://${this.options.bucket}/${key} has no content`)
    await pipeline(answer.Body as Readable, createWriteStream(path, { flags: 'wx' }))
  }

  #connect(): Promise<{ s3: S3Module; client: S3Client }> {
    this.#client ??= import('@aws-sdk/client-s3').then((s3) => {
      const { region, endpoint, forcePathStyle } = this.options
      const client = new s3.S3Client({
        region,
        forcePathStyle,
        ...(endpoint && {
          endpoint,
          // S3-compatible stores often lack the newer default checksums; the backup carries its own hash anyway.
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }),
      })
      return { s3, client }
    })
    return this.#client
  }
}
