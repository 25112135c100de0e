import { createApp } from '../app.js'
import { loadConfig } from '../config/load-config.js'

/**
 * The OpenAPI document of this build, as GET /api/openapi serves it with default options (an in-memory database,
 * nothing listening). `npm run openapi` writes it to docs/openapi.json; a test fails when that copy is stale.
 */
export async function generateOpenApiDocument(): Promise<Record<string, unknown>> {
  const parsed = loadConfig(['-db=:memory:', `-master-key=${'00'.repeat(32)}`], {})
  if (parsed.kind !== 'config') throw new Error('unexpected help')
  const app = await createApp(parsed.config)
  try {
    await app.http.ready()
    return app.http.swagger() as unknown as Record<string, unknown>
  } finally {
    await app.close()
  }
}

/** The committed form: two-space indentation and a final newline, so diffs of docs/openapi.json stay readable. */
export function formatOpenApiDocument(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`
}
