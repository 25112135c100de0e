import type { FastifyReply, FastifyRequest } from 'fastify'
import {
  AnonymousSessionPath,
  CloneEnvironmentRequest,
  ContinuationQuery,
  CreateEnvironmentRequest,
  CreateRevisionTagRequest,
  DurationQuery,
  EnvironmentPath,
  OrgPath,
  PageQuery,
  PatchEnvironmentSettingsRequest,
  PropertyQuery,
  RetractRevisionRequest,
  RevisionsQuery,
  RotateEnvironmentRequest,
  SessionPath,
  ShowSecretsQuery,
  TagPath,
  TagRequest,
  UpdateEnvironmentTagRequest,
  UpdateRevisionTagRequest,
  VersionPath,
} from '../apitype/esc.js'
import { ForbiddenError, InvalidError, NotFoundError } from '../errors.js'
import type { HttpServer } from '../http/http-server.js'
import { userOf } from '../http/route-config.js'
import type { AccessControl } from '../rbac/access-control.js'
import { validateOwnerName } from '../stacks/stack.js'
import {
  type Caller,
  DEFAULT_PROJECT,
  DiagnosticsError,
  decodeOverrides,
  type EnvironmentService,
} from './environment-service.js'

const BASE = '/api/esc/environments'
const ENV = `${BASE}/:orgName/:projectName/:envName`
const ETAG = 'ETag'
const REVISION = 'Pulumi-ESC-Revision'

const refOf = (p: { orgName: string; projectName: string; envName: string }) => {
  validateOwnerName(p.orgName)
  return { org: p.orgName, project: p.projectName, name: p.envName }
}

/** Path parameters of the routes registered in loops for both the latest and a `versions/:version` form. */
const versioned = (request: FastifyRequest) =>
  request.params as { orgName: string; projectName: string; envName: string; version?: string }

const yamlOf = (body: unknown): string => (Buffer.isBuffer(body) ? body.toString('utf8') : '')

function intOf(text: string | undefined, name: string): number | undefined {
  if (text === undefined || text === '') return undefined
  if (!/^\d+$/.test(text)) throw new InvalidError(`Bad Request: ${name} must be a non-negative integer`)
  return Number(text)
}

/** Definitions with errors answer 400 with the diagnostics (the client's EnvironmentErrorResponse). */
async function withDiagnostics<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work()
  } catch (error) {
    if (!(error instanceof DiagnosticsError)) throw error
    void reply.code(400).send({ code: 400, message: error.message, diagnostics: error.diagnostics })
    return undefined
  }
}

/** The ESC environments API as the esc/pulumi CLIs' client calls it (pulumi/esc cmd/esc/cli/client/client.go). */
export function environmentRoutes(
  app: HttpServer,
  deps: { environments: EnvironmentService; access: AccessControl },
): void {
  const svc = deps.environments
  // The caller with their rights on other environments (imports, listings) and stacks (pulumi-stacks).
  const callerOf = (request: FastifyRequest): Caller => {
    const principal = userOf(request.principal)
    const may = (permission: Parameters<AccessControl['authorize']>[1], resource: object) =>
      deps.access.authorize(principal, permission, resource).allow
    return {
      login: principal.login,
      access: {
        environment: (ref, level) =>
          may(`env:${level}`, { org: ref.org, project: ref.project, environment: ref.name }),
        stack: (ref) => may('stack:read', ref),
      },
    }
  }

  app.route({
    method: 'GET',
    url: BASE,
    config: { operationId: 'ListEnvironments_esc', permission: 'authenticated', auth: 'token' },
    schema: { querystring: ContinuationQuery },
    handler: async (request) => svc.list(undefined, request.query.continuationToken, callerOf(request)),
  })

  app.route({
    method: 'GET',
    url: `${BASE}/:orgName`,
    config: { operationId: 'ListOrgEnvironments_esc', permission: 'authenticated', auth: 'token' },
    schema: { params: OrgPath, querystring: ContinuationQuery },
    handler: async (request) => {
      validateOwnerName(request.params.orgName)
      return svc.list(request.params.orgName, request.query.continuationToken, callerOf(request))
    },
  })

  app.route({
    method: 'POST',
    url: `${BASE}/:orgName`,
    config: { operationId: 'CreateEnvironment_esc_environments', permission: 'env:create', auth: 'token' },
    schema: { params: OrgPath, body: CreateEnvironmentRequest },
    handler: async (request) => {
      const { project, name } = request.body
      const ref = refOf({
        orgName: request.params.orgName,
        projectName: project || DEFAULT_PROJECT,
        envName: name,
      })
      await svc.create(ref, callerOf(request))
      return {}
    },
  })

  app.route({
    method: 'POST',
    url: `${BASE}/:orgName/yaml/check`,
    config: {
      operationId: 'CheckYAML_esc',
      permission: 'authenticated',
      auth: 'token',
      rawBody: true,
      yamlBody: true,
    },
    schema: { params: OrgPath, querystring: ShowSecretsQuery },
    handler: async (request, reply) => {
      validateOwnerName(request.params.orgName)
      const showSecrets = request.query.showSecrets === 'true'
      return withDiagnostics(reply, () =>
        svc.checkYaml(request.params.orgName, yamlOf(request.body), showSecrets, callerOf(request)),
      )
    },
  })

  app.route({
    method: 'POST',
    url: `${BASE}/:orgName/yaml/open`,
    config: {
      operationId: 'OpenYAML_esc',
      permission: 'authenticated',
      auth: 'token',
      rawBody: true,
      yamlBody: true,
    },
    schema: { params: OrgPath, querystring: DurationQuery },
    handler: async (request, reply) => {
      validateOwnerName(request.params.orgName)
      return withDiagnostics(reply, () =>
        svc.openYaml(
          request.params.orgName,
          yamlOf(request.body),
          request.query.duration,
          callerOf(request),
          decodeOverrides(request.query.environmentOverrides),
        ),
      )
    },
  })

  app.route({
    method: 'GET',
    url: `${BASE}/:orgName/yaml/open/:openSessionID`,
    // Reading an open session reveals decrypted values: audited although it is a GET.
    config: {
      operationId: 'ReadAnonymousOpenEnvironment_esc',
      permission: 'authenticated',
      auth: 'token',
      audit: true,
    },
    schema: { params: AnonymousSessionPath, querystring: PropertyQuery },
    handler: async (request) => {
      validateOwnerName(request.params.orgName)
      return svc.readSession(
        request.params.orgName,
        undefined,
        request.params.openSessionID,
        request.query.property,
        callerOf(request),
      )
    },
  })

  // GET (and the HEAD Fastify derives from it) of a definition, latest or at a version, optionally decrypted.
  const readDefinition = (decrypt: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const p = versioned(request)
    const def = await svc.definition(refOf(p), p.version, decrypt)
    void reply.type('application/x-yaml').header(ETAG, def.etag).header(REVISION, String(def.revision))
    return def.yaml
  }
  for (const [url, operationId, decrypt] of [
    [ENV, 'ReadEnvironment_esc_environments', false],
    [`${ENV}/decrypt`, 'DecryptEnvironment_esc_environments', true],
    [`${ENV}/versions/:version`, 'ReadEnvironment_esc_environments_versions', false],
    [`${ENV}/versions/:version/decrypt`, 'DecryptEnvironment_esc_environments_versions', true],
  ] as const) {
    app.route({
      method: 'GET',
      url,
      // A decrypted definition shows the secrets: audited like an open.
      config: { operationId, permission: decrypt ? 'env:open' : 'env:read', auth: 'token', audit: decrypt },
      handler: readDefinition(decrypt),
    })
  }

  app.route({
    method: 'PATCH',
    url: ENV,
    config: {
      operationId: 'UpdateEnvironment_esc_environments',
      permission: 'env:write',
      auth: 'token',
      rawBody: true,
      yamlBody: true,
    },
    schema: { params: EnvironmentPath },
    handler: async (request, reply) => {
      // The ESC client sends the ETag it read in an `ETag` header; standard clients use If-Match.
      const header = request.headers['if-match'] ?? request.headers.etag
      const ifMatch = Array.isArray(header) ? header[0] : header
      return withDiagnostics(reply, async () => {
        const result = await svc.update(
          refOf(request.params),
          yamlOf(request.body),
          ifMatch,
          callerOf(request),
        )
        void reply.header(REVISION, String(result.revision))
        return { diagnostics: result.diagnostics }
      })
    },
  })

  app.route({
    method: 'DELETE',
    url: ENV,
    config: { operationId: 'DeleteEnvironment_esc_environments', permission: 'env:admin', auth: 'token' },
    schema: { params: EnvironmentPath },
    handler: async (request) => {
      await svc.delete(refOf(request.params), callerOf(request))
      return {}
    },
  })

  app.route({
    method: 'POST',
    url: `${ENV}/clone`,
    config: { operationId: 'CloneEnvironment', permission: 'env:open', auth: 'token' },
    schema: { params: EnvironmentPath, body: CloneEnvironmentRequest },
    handler: async (request) => {
      // Open on the source (the copy's secrets become readable by whoever may open the copy), write on the copy.
      const ref = refOf(request.params)
      const target = { org: ref.org, project: request.body.project || ref.project, name: request.body.name }
      const caller = callerOf(request)
      const allowed = deps.access.authorize(request.principal, 'env:create', {
        org: target.org,
        project: target.project,
        environment: target.name,
      })
      if (!allowed.allow) throw new ForbiddenError(`Forbidden: ${allowed.reason}`)
      await svc.clone(ref, request.body, caller)
      return {}
    },
  })

  for (const [url, operationId] of [
    [`${ENV}/check`, 'CheckEnvironment_esc_environments'],
    [`${ENV}/versions/:version/check`, 'CheckEnvironment_esc_environments_versions'],
  ] as const) {
    app.route({
      method: 'POST',
      url,
      config: { operationId, permission: 'env:read', auth: 'token' },
      schema: { querystring: ShowSecretsQuery },
      handler: async (request) => {
        const p = versioned(request)
        // Showing secrets decrypts them: it takes open, like `/decrypt` (`esc env get --show-secrets`).
        const showSecrets = request.query.showSecrets === 'true'
        const resource = { org: p.orgName, project: p.projectName, environment: p.envName }
        const allowed = showSecrets && deps.access.authorize(request.principal, 'env:open', resource)
        if (allowed && !allowed.allow) throw new ForbiddenError(`Forbidden: ${allowed.reason}`)
        return svc.checkEnvironment(refOf(p), p.version, callerOf(request), showSecrets)
      },
    })
  }

  // Opening (and decrypting) reveals secret values, so it needs write on the org, not read: RBAC has no
  // per-environment or 'open' level, and write is the closest one above read.
  for (const [url, operationId] of [
    [`${ENV}/open`, 'OpenEnvironment_esc_environments'],
    [`${ENV}/versions/:version/open`, 'OpenEnvironment_esc_environments_versions'],
  ] as const) {
    app.route({
      method: 'POST',
      url,
      config: { operationId, permission: 'env:open', auth: 'token' },
      schema: { querystring: DurationQuery },
      handler: async (request, reply) => {
        const p = versioned(request)
        return withDiagnostics(reply, () =>
          svc.open(refOf(p), p.version, request.query.duration, callerOf(request)),
        )
      },
    })
  }

  app.route({
    method: 'GET',
    url: `${ENV}/open/:openSessionID`,
    config: {
      operationId: 'ReadOpenEnvironment_esc_environments',
      permission: 'env:open',
      auth: 'token',
      audit: true,
    },
    schema: { params: SessionPath, querystring: PropertyQuery },
    handler: async (request) =>
      svc.readSession(
        request.params.orgName,
        refOf(request.params),
        request.params.openSessionID,
        request.query.property,
        callerOf(request),
      ),
  })

  app.route({
    method: 'GET',
    url: `${ENV}/versions`,
    config: {
      operationId: 'ListEnvironmentRevisions_esc_environments',
      permission: 'env:read',
      auth: 'token',
    },
    schema: { params: EnvironmentPath, querystring: RevisionsQuery },
    handler: async (request) =>
      svc.revisions(
        refOf(request.params),
        intOf(request.query.before, 'before'),
        intOf(request.query.count, 'count'),
      ),
  })

  app.route({
    method: 'POST',
    url: `${ENV}/versions/:version/retract`,
    config: {
      operationId: 'RetractEnvironmentRevision_esc_environments',
      permission: 'env:write',
      auth: 'token',
    },
    schema: { params: VersionPath, body: RetractRevisionRequest },
    handler: async (request) => {
      const { replacement, reason } = request.body
      await svc.retract(
        refOf(request.params),
        request.params.version,
        replacement,
        reason ?? '',
        callerOf(request),
      )
      return {}
    },
  })

  for (const [url, operationId] of [
    [`${ENV}/versions/tags`, 'ListRevisionTags_esc_environments_versions'],
    [`${ENV}/versions/:version/tags`, 'ListRevisionTags_esc_environments_versions2'],
  ] as const) {
    app.route({
      method: 'GET',
      url,
      config: { operationId, permission: 'env:read', auth: 'token' },
      schema: { querystring: PageQuery },
      handler: async (request) => {
        const p = versioned(request)
        const all = await svc.revisionTags(refOf(p), request.query.after, intOf(request.query.count, 'count'))
        if (p.version === undefined) return all
        return { ...all, tags: all.tags.filter((t) => String(t.revision) === p.version) }
      },
    })
  }

  app.route({
    method: 'POST',
    url: `${ENV}/versions/tags`,
    config: {
      operationId: 'CreateRevisionTag_esc_environments_versions_tags',
      permission: 'env:write',
      auth: 'token',
    },
    schema: { params: EnvironmentPath, body: CreateRevisionTagRequest },
    handler: async (request) => {
      const { name, revision } = request.body
      await svc.putRevisionTag(refOf(request.params), name, revision, true, callerOf(request))
      return {}
    },
  })

  app.route({
    method: 'GET',
    url: `${ENV}/versions/tags/:tagName`,
    config: { operationId: 'ReadRevisionTag_esc_environments', permission: 'env:read', auth: 'token' },
    schema: { params: TagPath },
    handler: async (request) => svc.revisionTag(refOf(request.params), request.params.tagName),
  })

  app.route({
    method: 'PATCH',
    url: `${ENV}/versions/tags/:tagName`,
    config: { operationId: 'UpdateRevisionTag_esc_environments', permission: 'env:write', auth: 'token' },
    schema: { params: TagPath, body: UpdateRevisionTagRequest },
    handler: async (request) => {
      const { tagName } = request.params
      await svc.putRevisionTag(
        refOf(request.params),
        tagName,
        request.body.revision,
        false,
        callerOf(request),
      )
      return {}
    },
  })

  app.route({
    method: 'DELETE',
    url: `${ENV}/versions/tags/:tagName`,
    config: { operationId: 'DeleteRevisionTag_esc_environments', permission: 'env:admin', auth: 'token' },
    schema: { params: TagPath },
    handler: async (request) => {
      await svc.deleteRevisionTag(refOf(request.params), request.params.tagName)
      return {}
    },
  })

  app.route({
    method: 'GET',
    url: `${ENV}/tags`,
    config: { operationId: 'ListEnvironmentTags_esc_environments', permission: 'env:read', auth: 'token' },
    schema: { params: EnvironmentPath, querystring: PageQuery },
    handler: async (request) =>
      svc.environmentTags(refOf(request.params), request.query.after, intOf(request.query.count, 'count')),
  })

  app.route({
    method: 'POST',
    url: `${ENV}/tags`,
    config: { operationId: 'CreateEnvironmentTag_esc_environments', permission: 'env:write', auth: 'token' },
    schema: { params: EnvironmentPath, body: TagRequest },
    handler: async (request) =>
      svc.putEnvironmentTag(refOf(request.params), request.body, undefined, callerOf(request)),
  })

  app.route({
    method: 'GET',
    url: `${ENV}/tags/:tagName`,
    config: { operationId: 'GetEnvironmentTag_esc_environments', permission: 'env:read', auth: 'token' },
    schema: { params: TagPath },
    handler: async (request) => svc.environmentTag(refOf(request.params), request.params.tagName),
  })

  app.route({
    method: 'PATCH',
    url: `${ENV}/tags/:tagName`,
    config: { operationId: 'UpdateEnvironmentTag_esc_environments', permission: 'env:write', auth: 'token' },
    schema: { params: TagPath, body: UpdateEnvironmentTagRequest },
    handler: async (request) => {
      const { newTag } = request.body
      const current = request.params.tagName
      const tag = { name: newTag.name || current, value: newTag.value }
      return svc.putEnvironmentTag(refOf(request.params), tag, current, callerOf(request))
    },
  })

  app.route({
    method: 'DELETE',
    url: `${ENV}/tags/:tagName`,
    config: { operationId: 'DeleteEnvironmentTag_esc_environments', permission: 'env:admin', auth: 'token' },
    schema: { params: TagPath },
    handler: async (request) => {
      await svc.deleteEnvironmentTag(refOf(request.params), request.params.tagName)
      return {}
    },
  })

  app.route({
    method: 'GET',
    url: `${ENV}/settings`,
    config: { operationId: 'GetEnvironmentSettings', permission: 'env:read', auth: 'token' },
    schema: { params: EnvironmentPath },
    handler: async (request) => {
      const env = await svc.get(refOf(request.params))
      return { deletionProtected: env.deletionProtected }
    },
  })

  app.route({
    method: 'PATCH',
    url: `${ENV}/settings`,
    config: { operationId: 'PatchEnvironmentSettings', permission: 'env:admin', auth: 'token' },
    schema: { params: EnvironmentPath, body: PatchEnvironmentSettingsRequest },
    handler: async (request) => {
      const ref = refOf(request.params)
      if (request.body.deletionProtected !== undefined) {
        await svc.setDeletionProtected(ref, request.body.deletionProtected)
      } else await svc.get(ref)
      return {}
    },
  })

  for (const [url, operationId] of [
    [`${ENV}/referrers`, 'ListEnvironmentReferrers_esc_environments'],
    [`${ENV}/versions/:version/referrers`, 'ListEnvironmentReferrers_esc_environments_versions'],
  ] as const) {
    app.route({
      method: 'GET',
      url,
      config: { operationId, permission: 'env:read', auth: 'token' },
      handler: async (request) => svc.referrers(refOf(versioned(request)), callerOf(request)),
    })
  }

  app.route({
    method: 'POST',
    url: `${ENV}/rotate`,
    // Rotation writes new rotator state into the definition: write, like an update.
    config: { operationId: 'RotateEnvironment', permission: 'env:write', auth: 'token' },
    schema: { params: EnvironmentPath, body: RotateEnvironmentRequest },
    handler: async (request, reply) => {
      // The ESC client's request struct has no json tag, so it sends `Paths`; Cloud's spec says `paths`.
      const paths = request.body?.paths ?? request.body?.Paths ?? []
      return withDiagnostics(reply, () => svc.rotate(refOf(request.params), paths, callerOf(request)))
    },
  })

  notProvidedRoutes(app)
}

/**
 * ESC features of Pulumi Cloud this server does not have, by path prefix. Like the server's other unprovided
 * features, each prefix answers every method with a 404 naming the feature, under an operationId starting
 * `notProvided ` (such routes are explanations, not API, and stay out of the API documentation).
 */
export const ESC_NOT_PROVIDED: readonly { feature: string; prefixes: readonly string[] }[] = [
  { feature: 'ESC environment drafts', prefixes: [`${ENV}/drafts`] },
  { feature: 'ESC approval workflows', prefixes: [`${ENV}/open/request`, '/api/change-requests'] },
  { feature: 'ESC environment schedules', prefixes: [`${ENV}/schedules`] },
]

const NOT_PROVIDED_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']

function notProvidedRoutes(app: HttpServer): void {
  for (const { feature, prefixes } of ESC_NOT_PROVIDED) {
    const message = `Not Found: ${feature} are not provided by this server (a self-hosted pulumi-backend)`
    for (const prefix of prefixes) {
      for (const url of [prefix, `${prefix}/*`]) {
        app.route({
          method: NOT_PROVIDED_METHODS,
          url,
          config: {
            operationId: `notProvided ${url}`,
            permission: 'authenticated',
            auth: 'token',
            rawBody: true,
            yamlBody: true,
          },
          handler: async () => {
            throw new NotFoundError(message)
          },
        })
      }
    }
  }
}
