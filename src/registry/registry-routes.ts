import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type {
  ListOrgTemplatesResponse,
  ListPackagesResponse,
  ListTemplatesResponse,
  TemplateMetadata,
} from '../apitype/registry.js'
import { InvalidError, NotFoundError } from '../errors.js'
import type { HttpServer } from '../http/http-server.js'
import { parseTemplatePaging, type RegistryService, TEMPLATE_SOURCE } from './registry-service.js'
import type { TemplateInfo } from './template-catalog.js'

const TEMPLATE = '/api/registry/templates/:source/:publisher/:name/versions/:version'
const TemplatePath = Type.Object({
  source: Type.String(),
  publisher: Type.String(),
  name: Type.String(),
  version: Type.String(),
})

/**
 * The registry calls of `pulumi new` and `pulumi template list` (pkg/cmd/pulumi/templates/cloud.go through
 * httpstate/cloud_registry.go and client.go :: ListTemplates, GetTemplate, DownloadTemplate) and the package
 * search of plugin resolution (client.go :: ListPackages), in Pulumi Cloud's shapes.
 */
export function registryRoutes(app: HttpServer, deps: { registry: RegistryService }): void {
  const { registry } = deps

  app.route({
    method: 'GET',
    url: '/api/registry/templates',
    config: { operationId: 'listRegistryTemplates', permission: 'authenticated', auth: 'token' },
    schema: {
      querystring: Type.Object({
        limit: Type.Optional(Type.String()),
        continuationToken: Type.Optional(Type.String()),
        name: Type.Optional(Type.String()),
        orgLogin: Type.Optional(Type.String()),
        search: Type.Optional(Type.String()),
        backing: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
      }),
    },
    handler: async (request): Promise<ListTemplatesResponse> => {
      const { name, orgLogin, search } = request.query
      const page = await registry.listTemplates({
        name,
        orgLogin,
        search,
        ...parseTemplatePaging(request.query),
      })
      const base = publicBaseUrl(request)
      return {
        templates: page.templates.map((t) => toTemplateMetadata(t, registry.publisher, base)),
        ...(page.nextOffset === undefined ? {} : { continuationToken: String(page.nextOffset) }),
        ...(page.problems.length > 0 ? { diagnostics: page.problems } : {}),
      }
    },
  })

  app.route({
    method: 'GET',
    url: TEMPLATE,
    config: { operationId: 'getTemplateVersion', permission: 'authenticated', auth: 'token' },
    schema: { params: TemplatePath },
    handler: async (request): Promise<TemplateMetadata> => {
      const { source, publisher, name, version } = request.params
      const template = await registry.getTemplate(source, publisher, name, version)
      return toTemplateMetadata(template, registry.publisher, publicBaseUrl(request))
    },
  })

  app.route({
    method: 'GET',
    url: `${TEMPLATE}/download`,
    // The downloadURL of a template (this server's own route, not a Cloud one). The CLI sends its token only
    // when the URL starts with the URL it logged in to, and `Accept: application/x-tar` (client.go ::
    // DownloadTemplate); it detects gzip by its magic bytes (cloud.go :: createTarReader).
    config: {
      operationId: 'downloadRegistryTemplate',
      permission: 'authenticated',
      auth: 'token',
      compressResponse: false,
    },
    schema: { params: TemplatePath },
    handler: async (request, reply) => {
      const { source, publisher, name, version } = request.params
      const archive = await registry.templateArchive(source, publisher, name, version)
      return reply
        .type('application/gzip')
        .header('content-disposition', `attachment; filename="${name}.tar.gz"`)
        .send(archive)
    },
  })

  app.route({
    method: 'GET',
    url: '/api/registry/packages',
    // No packages are hosted here: an empty list sends the CLI down its normal not-found path
    // (registry/resolve.go :: ResolvePackageFromName). A package look-up (GetPackage) gets the 404 of the
    // unprovided registry-hosting prefix, which cloud_registry.go :: GetPackage turns into NotFoundError.
    config: { operationId: 'listRegistryPackages', permission: 'authenticated', auth: 'token' },
    handler: async (): Promise<ListPackagesResponse> => ({ packages: [] }),
  })
}

/**
 * The organization-templates calls `pulumi new` makes instead of the registry ones when
 * PULUMI_DISABLE_REGISTRY_RESOLVE is set (and which older CLIs always make): templates/cloud.go ::
 * listOrgTemplates, client.go :: ListOrgTemplates and DownloadOrgTemplate. The same templates, same archives.
 */
export function orgTemplateRoutes(app: HttpServer, deps: { registry: RegistryService }): void {
  const { registry } = deps
  const OrgPath = Type.Object({ orgName: Type.String() })

  app.route({
    method: 'GET',
    url: '/api/orgs/:orgName/templates',
    config: { operationId: 'listTemplates', permission: 'org:read', auth: 'token' },
    schema: { params: OrgPath },
    handler: async (request): Promise<ListOrgTemplatesResponse> => {
      const templates = await registry.orgTemplates(request.params.orgName)
      const base = publicBaseUrl(request)
      return {
        templates: {
          [ORG_TEMPLATE_SOURCE]: templates.map((t) => ({
            name: t.name,
            sourceName: ORG_TEMPLATE_SOURCE,
            // The CLI only hands this back to the download route below; it names the template unambiguously.
            sourceURL: downloadUrl(base, registry.publisher, t.name),
            runtime: t.language,
            displayName: t.displayName,
            ...(t.description ? { description: t.description } : {}),
            ...(Object.keys(t.metadata).length > 0 ? { metadata: t.metadata } : {}),
          })),
        },
        orgHasTemplates: templates.length > 0,
        hasAccessError: false,
        hasUpstreamError: false,
      }
    },
  })

  app.route({
    method: 'GET',
    url: '/api/orgs/:orgName/template/download',
    // The CLI reads this body straight into a tar reader, decoding only Content-Encoding: gzip
    // (client.go :: DownloadOrgTemplate), so the gzipped archive goes out with that header.
    config: {
      operationId: 'downloadTemplates',
      permission: 'org:read',
      auth: 'token',
      compressResponse: false,
    },
    schema: { params: OrgPath, querystring: Type.Object({ url: Type.Optional(Type.String()) }) },
    handler: async (request, reply) => {
      const name = templateNameOf(request.query.url ?? '', request.params.orgName)
      const archive = await registry.templateArchive(TEMPLATE_SOURCE, request.params.orgName, name, 'latest')
      return reply.type('application/x-tar').header('content-encoding', 'gzip').send(archive)
    },
  })
}

const ORG_TEMPLATE_SOURCE = 'templates-dir'

/** The template a sourceURL of the organization listing names (the listing's own download URL). */
function templateNameOf(sourceUrl: string, org: string): string {
  let path: string
  try {
    path = new URL(sourceUrl).pathname
  } catch {
    throw new InvalidError('Bad Request: url must be the sourceURL of a template of this server')
  }
  const prefix = `/api/registry/templates/${TEMPLATE_SOURCE}/${encodeURIComponent(org)}/`
  const match = path.startsWith(prefix)
    ? /^([^/]+)\/versions\/latest\/download$/.exec(path.slice(prefix.length))
    : null
  const notFound = new NotFoundError(`Not Found: no template of organization '${org}' at ${sourceUrl}`)
  if (!match?.[1]) throw notFound
  try {
    return decodeURIComponent(match[1])
  } catch {
    throw notFound
  }
}

function downloadUrl(baseUrl: string, publisher: string, name: string): string {
  const path = [TEMPLATE_SOURCE, publisher, name].map(encodeURIComponent).join('/')
  return `${baseUrl}/api/registry/templates/${path}/versions/latest/download`
}

function toTemplateMetadata(template: TemplateInfo, publisher: string, baseUrl: string): TemplateMetadata {
  return {
    name: template.name,
    publisher,
    source: TEMPLATE_SOURCE,
    displayName: template.displayName,
    ...(template.description ? { description: template.description } : {}),
    language: template.language,
    readmeURL: '',
    downloadURL: downloadUrl(baseUrl, publisher, template.name),
    visibility: 'private',
    updatedAt: new Date(template.updatedAt).toISOString(),
    ...(Object.keys(template.metadata).length > 0 ? { metadata: template.metadata } : {}),
  }
}

/**
 * The server's URL as the CLI sees it, for download URLs: the CLI attaches its token only to URLs that start with
 * the URL it logged in to. A TLS-terminating proxy says so in X-Forwarded-Proto / X-Forwarded-Host.
 */
function publicBaseUrl(request: FastifyRequest): string {
  const forwardedProto = firstValue(request.headers['x-forwarded-proto'])
  const proto = forwardedProto === 'http' || forwardedProto === 'https' ? forwardedProto : request.protocol
  const host = firstValue(request.headers['x-forwarded-host']) ?? request.host
  return `${proto}://${host}`
}

function firstValue(header: string | string[] | undefined): string | undefined {
  const value = [header].flat()[0]?.split(',')[0]?.trim()
  return value === '' ? undefined : value
}
