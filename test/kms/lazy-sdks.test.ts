import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'

const src = new URL('../../src/', import.meta.url).pathname
const CLOUD_SDKS = /^import\s+(?!type\b)[^'"]*?from\s+'(@aws-sdk\/|@google-cloud\/|@opentelemetry\/|@grpc\/)/m

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  )
}

// Cloud SDKs and OpenTelemetry are large: a server that uses none of them must not load them (startup time,
// memory). Only `import type` may name them statically; the code loads them with import() when configured.
describe('cloud SDKs load only when configured', () => {
  it('no source file imports a cloud SDK or OpenTelemetry statically', () => {
    const offenders = sources(src).filter((file) => CLOUD_SDKS.test(readFileSync(file, 'utf8')))
    assert.deepEqual(offenders, [])
  })

  it('the check itself catches a static import', () => {
    assert.ok(CLOUD_SDKS.test("import { KMSClient } from '@aws-sdk/client-kms'"))
    assert.ok(CLOUD_SDKS.test("import {\n  KMSClient,\n  EncryptCommand,\n} from '@aws-sdk/client-kms'"))
    assert.ok(!CLOUD_SDKS.test("import type { KMSClient } from '@aws-sdk/client-kms'"))
    assert.ok(
      !CLOUD_SDKS.test("import { x } from 'node:stream'\nimport type { S3Client } from '@aws-sdk/client-s3'"),
    )
  })
})
