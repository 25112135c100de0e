import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { ListPackagesResponse, ListTemplatesResponse, TemplateMetadata } from '../apitype/registry.js'
import { NotFoundError } from '../errors.js'
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
 * look-ups of plugin resolution (client.go :: ListPackages, GetPackage), in Pulumi Cloud's shapes.
 */
export function registryRoutes(app: HttpServer, deps: { registry: RegistryService }): void {
  const { registry } = deps

  app.route({
    method: 'GET',
    url: '/api/registry/templates',
    config: { operationId: 'listRegistryTemplates', auth: 'token' },
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
    config: { operationId: 'getTemplateVersion', auth: 'token' },
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
    config: { operationId: 'downloadRegistryTemplate', auth: 'token', compressResponse: false },
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
    // (registry/resolve.go :: ResolvePackageFromName).
    config: { operationId: 'listRegistryPackages', auth: 'token' },
    handler: async (): Promise<ListPackagesResponse> => ({ packages: [] }),
  })

  app.route({
    method: 'GET',
    url: '/api/registry/packages/:source/:publisher/:name/versions/:version',
    // A 404 is what cloud_registry.go :: GetPackage turns into backenderr.NotFoundError (then the CLI falls back).
    config: { operationId: 'getPackageVersion', auth: 'token' },
    schema: { params: TemplatePath },
    handler: async (request) => {
      const { source, publisher, name } = request.params
      throw new NotFoundError(
        `Not Found: package '${source}/${publisher}/${name}' not found: this server's registry holds no packages`,
      )
    },
  })
}

function toTemplateMetadata(template: TemplateInfo, publisher: string, baseUrl: string): TemplateMetadata {
  const path = [TEMPLATE_SOURCE, publisher, template.name].map(encodeURIComponent).join('/')
  return {
    name: template.name,
    publisher,
    source: TEMPLATE_SOURCE,
    displayName: template.displayName,
    ...(template.description ? { description: template.description } : {}),
    language: template.language,
    readmeURL: '',
    downloadURL: `${baseUrl}/api/registry/templates/${path}/versions/latest/download`,
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
