import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import S3rver from 's3rver'

export interface LocalS3 {
  endpoint: string
  close(): Promise<void>
}

/**
 * A real S3-compatible server (s3rver, from npm) on loopback, storing objects in a temporary directory. It checks
 * request signatures made with its fixed credentials (S3RVER/S3RVER), which the SDK's default chain reads from the
 * environment here: the server under test never sees credentials in its options.
 */
export async function startLocalS3(buckets: string[]): Promise<LocalS3> {
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER'
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER'
  process.env.AWS_EC2_METADATA_DISABLED = 'true'
  const directory = mkdtempSync(join(tmpdir(), 'pulumi-backend-s3-'))
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  })
  const address = (await server.run()) as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    async close() {
      await server.close()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}
