// State import/export the way the CLI does it (pkg/backend/httpstate/client/client.go :: ImportStackDeployment,
// ExportStackDeployment; backend.go :: waitForUpdate).
import assert from 'node:assert/strict'
import type { CliClient, CliResponse } from './cli-client.js'

export interface UpdateResults {
  status: string
  events: unknown[]
  continuationToken?: string | null
}

/**
 * `POST {stack}/import` with a gzip body, then polls `GET {stack}/update/{updateId}` until `continuationToken` is
 * null, as backend.go :: waitForUpdate does. `deployment` is json-marshalled, or sent as these exact bytes.
 */
export async function importDeployment(
  cli: CliClient,
  stackPath: string,
  deployment: unknown,
): Promise<{ updateId: string; results: UpdateResults }> {
  const body = Buffer.isBuffer(deployment) ? { rawBody: deployment } : { body: deployment }
  const response = await cli.call<{ updateId: string }>('POST', `${stackPath}/import`, {
    ...body,
    gzip: true,
    command: 'stack-import',
  })
  // apitype.ImportStackResponse: lower-case "d", unlike create-update's updateID.
  const { updateId } = response.body
  assert.equal(typeof updateId, 'string')
  assert.ok(updateId.length > 0)
  let token: string | null | undefined
  let results: UpdateResults
  let polls = 0
  do {
    // client.go :: GetUpdateEvents appends the token unescaped; update-scoped paths always use "update".
    const query = token ? `?continuationToken=${token}` : ''
    results = (await cli.call<UpdateResults>('GET', `${stackPath}/update/${updateId}${query}`)).body
    token = results.continuationToken
    assert.notEqual(token, '', 'an empty continuation token makes the CLI poll forever')
    assert.ok(++polls < 100, 'the import never finished')
  } while (token !== null && token !== undefined)
  assert.equal(results.status, 'succeeded', 'the CLI fails with "import unsuccessful" otherwise')
  return { updateId, results }
}

/** `GET {stack}/export[/{version}]`, decoded as the CLI does (gzip or nothing). */
export function exportDeployment(
  cli: CliClient,
  stackPath: string,
  options: { version?: number | string; acceptGzip?: boolean; headers?: Record<string, string> } = {},
): Promise<CliResponse<Record<string, unknown>>> {
  const suffix = options.version === undefined ? '' : `/${options.version}`
  return cli.call<Record<string, unknown>>('GET', `${stackPath}/export${suffix}`, {
    command: 'stack-export',
    ...(options.acceptGzip === undefined ? {} : { acceptGzip: options.acceptGzip }),
    ...(options.headers ? { headers: options.headers } : {}),
  })
}

/** A minimal valid v3 deployment holding the given resources (in order). */
export function deploymentWith(resources: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  return {
    version: 3,
    deployment: {
      manifest: { time: '2026-01-01T00:00:00Z', magic: '', version: '' },
      ...extra,
      resources,
    },
  }
}

/** The root stack resource of `project`/`stack`, with the given outputs. */
export function stackResource(project: string, stack: string, outputs: Record<string, unknown> = {}) {
  return {
    urn: `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${project}-${stack}`,
    custom: false,
    type: 'pulumi:pulumi:Stack',
    outputs,
  }
}
