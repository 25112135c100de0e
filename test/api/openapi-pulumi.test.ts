// Our OpenAPI shapes against Pulumi's own spec (test/fixtures/openapi, see its README), on every path and method
// both define: request bodies, query parameters and success answers, by field name, type and required-ness.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { compareSchemas, type Direction, type Schema } from '../support/schema-compare.js'

interface Operation {
  operationId: string
  parameters?: { in: string; name: string; required?: boolean; schema?: Schema }[]
  requestBody?: { content?: Record<string, { schema?: Schema }> }
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>
}
interface Document {
  paths: Record<string, Record<string, Operation>>
  components?: { schemas?: Record<string, Schema> }
}

const read = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as Document
const ours = read('../../docs/openapi.json')
const pulumi = read('../fixtures/openapi/pulumi-cloud-openapi.json')

/**
 * Deliberate differences, each `METHOD path where: what` exactly as the comparison prints it. A difference not
 * listed fails the test, and so does a listed one that no longer occurs (keep this list true).
 */
const ALLOWED = new Set<string>([
  // Go []byte fields, which Pulumi's spec types as arrays: encoding/json writes and reads them as base64 strings,
  // as the CLI does (pkg/secrets/service/manager.go).
  `POST /api/stacks/{orgName}/{projectName}/{stackName}/batch-decrypt answer.plaintexts{}: type string, Pulumi: array`,
  `POST /api/stacks/{orgName}/{projectName}/{stackName}/batch-decrypt body.ciphertexts[]: type string, Pulumi: array`,
  `POST /api/stacks/{orgName}/{projectName}/{stackName}/batch-encrypt answer.ciphertexts[]: type string, Pulumi: array`,
  `POST /api/stacks/{orgName}/{projectName}/{stackName}/batch-encrypt body.plaintexts[]: type string, Pulumi: array`,
  `POST /api/stacks/{orgName}/{projectName}/{stackName}/decrypt answer.plaintext: type string, Pulumi: array`,
  `POST /api/stacks/{orgName}/{projectName}/{stackName}/decrypt body.ciphertext: type string, Pulumi: array`,
  `POST /api/stacks/{orgName}/{projectName}/{stackName}/encrypt answer.ciphertext: type string, Pulumi: array`,
  `POST /api/stacks/{orgName}/{projectName}/{stackName}/encrypt body.plaintext: type string, Pulumi: array`,
  // Query values are validated as digit strings (no type coercion anywhere in this server): the same wire bytes.
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates query.page: type string, Pulumi: integer`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates query.pageSize: type string, Pulumi: integer`,
  // Pulumi Cloud account features this server does not have (MFA, organization-managed users, teams); the CLI
  // does not read them (client.go :: serviceUser).
  `GET /api/user answer.hasMFA: required by Pulumi's, not sent`,
  `GET /api/user answer.isManagedByMultiOrg: required by Pulumi's, not sent`,
  `GET /api/user answer.isOrgManaged: required by Pulumi's, not sent`,
  `GET /api/user answer.tokenInfo.organization: required by Pulumi's, optional here`,
  `GET /api/user answer.tokenInfo.team: required by Pulumi's, not sent`,
  // The CLI discards the rename answer (client.go :: RenameStack passes no response object).
  `POST /api/stacks/{orgName}/{projectName}/{stackName}/rename answer.updateId: required by Pulumi's, not sent`,
  // A checkpoint or an import without its state is refused (src/updates/checkpoint-text.ts, the import service).
  `PATCH /api/stacks/{orgName}/{projectName}/{stackName}/{updateKind}/{updateId}/checkpoint body.deployment: required here, optional in Pulumi's`,
  `PATCH /api/stacks/{orgName}/{projectName}/{stackName}/{updateKind}/{updateId}/checkpointdelta body.deploymentDelta: required here, optional in Pulumi's`,
  `PATCH /api/stacks/{orgName}/{projectName}/{stackName}/{updateKind}/{updateId}/checkpointverbatim body.untypedDeployment: required here, optional in Pulumi's`,
  `POST /api/stacks/{orgName}/{projectName}/{stackName}/import body.deployment: required here, optional in Pulumi's`,
  `POST /api/stacks/{orgName}/{projectName}/{stackName}/import body.version: required here, optional in Pulumi's`,
  // Query values are strings here (no coercion); include_non_activated takes Go's strconv.ParseBool spellings.
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/{updateKind}/{updateId}/events query.include_non_activated: type string, Pulumi: boolean`,
  `GET /api/registry/templates query.limit: type string, Pulumi: integer`,
  `GET /api/orgs/{orgName}/search/resourcesv2 query.page: type string, Pulumi: integer`,
  `GET /api/orgs/{orgName}/search/resourcesv2 query.size: type string, Pulumi: integer`,
  `GET /api/orgs/{orgName}/search/resources query.page: type string, Pulumi: integer`,
  `GET /api/orgs/{orgName}/search/resources query.size: type string, Pulumi: integer`,
  `GET /api/orgs/{orgName}/search/resourcesv2 query.asc: type string, Pulumi: boolean`,
  // Audit log time bounds: digit strings like every other query value here (same wire bytes).
  `GET /api/orgs/{orgName}/auditlogs query.startTime: type string, Pulumi: integer`,
  `GET /api/orgs/{orgName}/auditlogs query.endTime: type string, Pulumi: integer`,
  `GET /api/orgs/{orgName}/auditlogs/export query.startTime: type string, Pulumi: integer`,
  `GET /api/orgs/{orgName}/auditlogs/export query.endTime: type string, Pulumi: integer`,
  `GET /api/orgs/{orgName}/auditlogs/v2 query.startTime: type string, Pulumi: integer`,
  `GET /api/orgs/{orgName}/auditlogs/v2 query.endTime: type string, Pulumi: integer`,
  `GET /api/orgs/{orgName}/auditlogs/v2/export query.startTime: type string, Pulumi: integer`,
  `GET /api/orgs/{orgName}/auditlogs/v2/export query.endTime: type string, Pulumi: integer`,
  // The first `pulumi org audit-log list|export` sent user/eventType (client.go :: ListAuditLogs, ExportAuditLogs
  // at 3.260); the spec and the CLI v3.276.0 name them userFilter/eventFilter. Both are read.
  ...['auditlogs', 'auditlogs/export', 'auditlogs/v2', 'auditlogs/v2/export'].flatMap((path) => [
    `GET /api/orgs/{orgName}/${path} query.user: not in Pulumi's`,
    `GET /api/orgs/{orgName}/${path} query.eventType: not in Pulumi's`,
  ]),
  // One sort field per search (the first the Cloud would take); a repeated sort= is refused, not ignored.
  `GET /api/orgs/{orgName}/search/resourcesv2 query.sort: type string, Pulumi: array`,
  `GET /api/orgs/{orgName}/search/resources query.sort: type string, Pulumi: array`,
  // v1 is v2 at its old path (the CLI's): asc is taken there too.
  `GET /api/orgs/{orgName}/search/resources query.asc: not in Pulumi's`,
  // The CLI sends `backing` (client.go :: ListTemplates, one per apitype.TemplateBacking); the spec predates it.
  `GET /api/registry/templates query.backing: not in Pulumi's`,
  // apitype.TemplateMetadata has no url and the CLI never reads one.
  `GET /api/registry/templates answer.templates[].url: required by Pulumi's, not sent`,
  // deploymentDelta is a Go json.RawMessage that the spec types as an object; the CLI sends an array of edits.
  `PATCH /api/stacks/{orgName}/{projectName}/{stackName}/{updateKind}/{updateId}/checkpointdelta body.deploymentDelta: type array, Pulumi: object`,
  // ESC: query values are strings here too (no coercion), the same wire bytes; showSecrets takes ParseBool spellings.
  `POST /api/esc/environments/{orgName}/yaml/check query.showSecrets: type string, Pulumi: boolean`,
  `POST /api/esc/environments/{orgName}/{projectName}/{envName}/check query.showSecrets: type string, Pulumi: boolean`,
  `POST /api/esc/environments/{orgName}/{projectName}/{envName}/versions/{version}/check query.showSecrets: type string, Pulumi: boolean`,
  `GET /api/esc/environments/{orgName}/{projectName}/{envName}/versions query.before: type string, Pulumi: integer`,
  `GET /api/esc/environments/{orgName}/{projectName}/{envName}/versions query.count: type string, Pulumi: integer`,
  `GET /api/esc/environments/{orgName}/{projectName}/{envName}/versions/tags query.count: type string, Pulumi: integer`,
  `GET /api/esc/environments/{orgName}/{projectName}/{envName}/versions/{version}/tags query.count: type string, Pulumi: integer`,
  `GET /api/esc/environments/{orgName}/{projectName}/{envName}/tags query.after: type string, Pulumi: integer`,
  `GET /api/esc/environments/{orgName}/{projectName}/{envName}/tags query.count: type string, Pulumi: integer`,
  // The CLI sends environmentOverrides (base64url JSON pinning imported versions) on opens; the spec predates it.
  `POST /api/esc/environments/{orgName}/yaml/open query.environmentOverrides: not in Pulumi's`,
  `POST /api/esc/environments/{orgName}/{projectName}/{envName}/open query.environmentOverrides: not in Pulumi's`,
  `POST /api/esc/environments/{orgName}/{projectName}/{envName}/versions/{version}/open query.environmentOverrides: not in Pulumi's`,
  // The ESC client's rotate request struct has no json tag, so it sends `Paths` (client.go :: RotateEnvironment).
  `POST /api/esc/environments/{orgName}/{projectName}/{envName}/rotate body.Paths: not in Pulumi's`,
  // The ESC client's EnvironmentTag has an id (pulumi/esc cmd/esc/cli/client apitype.go); the spec omits it.
  `GET /api/esc/environments/{orgName}/{projectName}/{envName}/tags answer.tags{}.id: not in Pulumi's`,
  `POST /api/esc/environments/{orgName}/{projectName}/{envName}/tags answer.id: not in Pulumi's`,
  `GET /api/esc/environments/{orgName}/{projectName}/{envName}/tags/{tagName} answer.id: not in Pulumi's`,
  `PATCH /api/esc/environments/{orgName}/{projectName}/{envName}/tags/{tagName} answer.id: not in Pulumi's`,
])

/**
 * Known gaps, not choices: allowed until fixed, listed apart so they are not mistaken for decisions. History entries:
 * the CLI reads only `info` (client.go :: GetLatestConfiguration), and the flat UpdateInfo fields serve readers of
 * the Go server's shape; Pulumi's answer also has updateID, latestVersion, requestedBy.avatarUrl and always
 * info.endTime (ours has none while the update runs). Owner: src/updates/history-routes.ts.
 */
const KNOWN_GAPS = new Set<string>([
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/latest answer.config: not in Pulumi's`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/latest answer.endTime: not in Pulumi's`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/latest answer.environment: not in Pulumi's`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/latest answer.info.endTime: required by Pulumi's, optional here`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/latest answer.info.requestedBy: not in Pulumi's`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/latest answer.kind: not in Pulumi's`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/latest answer.latestVersion: required by Pulumi's, not sent`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/latest answer.message: not in Pulumi's`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/latest answer.requestedBy.avatarUrl: required by Pulumi's, not sent`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/latest answer.requestedBy: required by Pulumi's, optional here`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/latest answer.resourceChanges: not in Pulumi's`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/latest answer.resourceCount: not in Pulumi's`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/latest answer.result: not in Pulumi's`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/latest answer.startTime: not in Pulumi's`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/latest answer.updateID: required by Pulumi's, not sent`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/{version} answer.config: not in Pulumi's`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/{version} answer.endTime: not in Pulumi's`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/{version} answer.environment: not in Pulumi's`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/{version} answer.info.endTime: required by Pulumi's, optional here`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/{version} answer.info.requestedBy: not in Pulumi's`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/{version} answer.kind: not in Pulumi's`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/{version} answer.latestVersion: required by Pulumi's, not sent`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/{version} answer.message: not in Pulumi's`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/{version} answer.requestedBy.avatarUrl: required by Pulumi's, not sent`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/{version} answer.requestedBy: required by Pulumi's, optional here`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/{version} answer.resourceChanges: not in Pulumi's`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/{version} answer.resourceCount: not in Pulumi's`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/{version} answer.result: not in Pulumi's`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/{version} answer.startTime: not in Pulumi's`,
  `GET /api/stacks/{orgName}/{projectName}/{stackName}/updates/{version} answer.updateID: required by Pulumi's, not sent`,
])

/** `/api/stacks/{orgName}/…` → `/api/stacks/{}/…`; our `{updateKind}` segment stands for each kind it accepts. */
function pathKeys(path: string, operation: Operation): string[] {
  const kinds = operation.parameters?.find((p) => p.name === 'updateKind')?.schema?.enum as
    | string[]
    | undefined
  const generic = path.replace(/\{(?!updateKind\})\w+\}/g, '{}')
  if (!kinds) return [generic]
  return kinds.map((kind) => generic.replace('{updateKind}', kind))
}

function pulumiOperation(key: string, method: string): [string, Operation] | undefined {
  for (const [path, methods] of Object.entries(pulumi.paths)) {
    if (path.replace(/\{\w+\}/g, '{}') === key && methods[method]) return [path, methods[method]]
  }
  return undefined
}

function resolve(schema: Schema): Schema {
  let current = schema
  for (let i = 0; i < 10 && typeof current.$ref === 'string'; i++) {
    const name = current.$ref.replace('#/components/schemas/', '')
    current = pulumi.components?.schemas?.[name] ?? ours.components?.schemas?.[name] ?? {}
  }
  return current
}

const jsonSchema = (content: Record<string, { schema?: Schema }> | undefined) =>
  content?.['application/json']?.schema

function queryParameters(operation: Operation): Schema {
  const query = (operation.parameters ?? []).filter((p) => p.in === 'query')
  return {
    type: 'object',
    properties: Object.fromEntries(query.map((p) => [p.name, p.schema ?? {}])),
    required: query.filter((p) => p.required).map((p) => p.name),
  }
}

function differences(): { compared: string[]; found: string[] } {
  const compared: string[] = []
  const found: string[] = []
  for (const [path, methods] of Object.entries(ours.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      for (const key of pathKeys(path, operation)) {
        const match = pulumiOperation(key, method)
        if (!match) continue
        const [theirPath, theirs] = match
        // Differences are named by our path, once for all the update kinds it stands for.
        const at = `${method.toUpperCase()} ${path}`
        compared.push(
          `${method.toUpperCase()} ${theirPath} (${operation.operationId} ~ ${theirs.operationId})`,
        )
        const check = (a: Schema | undefined, b: Schema | undefined, direction: Direction, where: string) =>
          found.push(...compareSchemas(a, b, direction, `${at} ${where}`, { resolve }))
        check(
          jsonSchema(operation.requestBody?.content),
          jsonSchema(theirs.requestBody?.content),
          'request',
          'body',
        )
        if (operation.parameters?.some((p) => p.in === 'query')) {
          check(queryParameters(operation), queryParameters(theirs), 'request', 'query')
        }
        check(
          jsonSchema(operation.responses?.['200']?.content),
          jsonSchema(theirs.responses?.['200']?.content),
          'response',
          'answer',
        )
      }
    }
  }
  return { compared, found: [...new Set(found)] }
}

describe("OpenAPI shapes against Pulumi Cloud's spec", () => {
  const { compared, found } = differences()

  it('compares every path both define', () => {
    // The CLI's core endpoints: stacks, state, secrets, the update lifecycle, history, user.
    assert.ok(compared.length >= 60, `only ${compared.length} operations compared:\n${compared.join('\n')}`)
  })

  it('differs only where the allow-list says why, or as a listed known gap', () => {
    const unexplained = found.filter((d) => !ALLOWED.has(d) && !KNOWN_GAPS.has(d))
    assert.deepEqual(unexplained, [], `differences not in ALLOWED:\n${unexplained.join('\n')}`)
  })

  it('keeps no stale allow-list entry', () => {
    const stale = [...ALLOWED, ...KNOWN_GAPS].filter((d) => !found.includes(d))
    assert.deepEqual(stale, [], `ALLOWED entries that no longer occur:\n${stale.join('\n')}`)
  })
})
