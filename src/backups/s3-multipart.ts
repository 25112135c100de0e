import { open } from 'node:fs/promises'
import type { CompletedPart, S3Client } from '@aws-sdk/client-s3'

type S3Module = typeof import('@aws-sdk/client-s3')

/** Sizes of a multipart upload. S3 takes at most 10,000 parts, each at least 5 MiB except the last. */
export interface MultipartSizes {
  /** Files larger than this go in parts (a single PUT takes at most 5 GB). */
  thresholdBytes: number
  /** Size of every part but the last (grown when the file would need more than 10,000 parts). */
  partBytes: number
  /** Parts in flight at once; each holds one part in memory (so a retry can resend it). */
  concurrency: number
}

export const DEFAULT_MULTIPART: MultipartSizes = {
  thresholdBytes: 256 << 20,
  partBytes: 32 << 20,
  concurrency: 4,
}

const MAX_PARTS = 10_000

/**
 * Uploads the local file `path` (`size` bytes) as `key` in parts. The object appears under its key only when the
 * upload completes; any failure aborts the upload so the parts already sent are dropped, not billed forever
 * (an abort that fails too is reported beside the first error, never instead of it).
 */
export async function uploadMultipart(
  s3: S3Module,
  client: S3Client,
  target: { bucket: string; key: string; path: string; size: number; contentType: string },
  sizes: MultipartSizes,
): Promise<void> {
  const { bucket: Bucket, key: Key } = target
  const partBytes = Math.max(sizes.partBytes, Math.ceil(target.size / MAX_PARTS))
  const partCount = Math.max(1, Math.ceil(target.size / partBytes))
  const created = await client.send(
    new s3.CreateMultipartUploadCommand({ Bucket, Key, ContentType: target.contentType }),
  )
  const UploadId = created.UploadId
  if (!UploadId) throw new Error(`s3://${Bucket}/${Key}: the store returned no multipart upload id`)
  const file = await open(target.path, 'r')
  try {
    const parts: CompletedPart[] = []
    let next = 0
    let failed = false
    // A few workers take the next part number in turn; the first failure stops them all.
    const worker = async () => {
      while (!failed && next < partCount) {
        const index = next++
        const length = Math.min(partBytes, target.size - index * partBytes)
        const body = Buffer.alloc(length)
        await file.read(body, 0, length, index * partBytes)
        const PartNumber = index + 1
        try {
          const answer = await client.send(
            new s3.UploadPartCommand({
              Bucket,
              Key,
              UploadId,
              PartNumber,
              Body: body,
              ContentLength: length,
            }),
          )
          parts[index] = { ETag: answer.ETag, PartNumber }
        } catch (error) {
          failed = true
          throw error
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(sizes.concurrency, partCount) }, worker))
    await client.send(
      new s3.CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
    )
  } catch (error) {
    await client.send(new s3.AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch((abortError) => {
      if (error instanceof Error) {
        error.message +=
          ` (aborting multipart upload ${UploadId} failed too: ${(abortError as Error).name}; ` +
          'a lifecycle rule for incomplete multipart uploads removes its parts)'
      }
    })
    throw error
  } finally {
    await file.close()
  }
}
