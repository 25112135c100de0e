import { InvalidError, NotFoundError } from '../errors.js'
import { gzip } from '../lib/gzip.js'
import { tarDirectory } from './tar-archive.js'
import type { TemplateCatalog, TemplateInfo } from './template-catalog.js'

/** Templates of the templates directory are private registry templates of the tenant's organization. */
export const TEMPLATE_SOURCE = 'private'
const BACKINGS = ['pulumi', 'registry', 'vcs']
// The CLI reads at most 100 MiB of a template's tar stream (templates/cloud.go :: maxDecompressedSize).
const MAX_TEMPLATE_TAR_BYTES = 100 * 1024 * 1024
const DEFAULT_LIMIT = 100
const MAX_LIMIT = 500

/** The filters of ListTemplates (client.go :: ListTemplates; `pulumi template list --name/--org/--search`). */
export interface TemplateQuery {
  name: string | undefined
  orgLogin: string | undefined
  search: string | undefined
  backing: string[]
  limit: number
  offset: number
}

export interface TemplatePage {
  templates: TemplateInfo[]
  /** Where the next page starts; undefined on the last page. */
  nextOffset: number | undefined
  problems: string[]
}

/**
 * The private registry as far as the CLI needs it: project templates from the operator's templates directory
 * (none without one, so `pulumi new` offers only its public templates), and no packages.
 */
export class RegistryService {
  constructor(
    private readonly deps: {
      catalog: TemplateCatalog | undefined
      /** The publisher of every template: the tenant's organization. */
      publisher: string
    },
  ) {}

  get publisher(): string {
    return this.deps.publisher
  }

  async listTemplates(query: TemplateQuery): Promise<TemplatePage> {
    const { catalog } = this.deps
    // Every template here is registry-backed; a listing of other backings (pulumi, vcs) has none of them.
    if (!catalog || (query.backing.length > 0 && !query.backing.includes('registry'))) {
      return { templates: [], nextOffset: undefined, problems: [] }
    }
    const { templates, problems } = await catalog.list()
    const matching = templates.filter((t) => this.matches(t, query))
    const end = query.offset + query.limit
    return {
      templates: matching.slice(query.offset, end),
      nextOffset: end < matching.length ? end : undefined,
      problems,
    }
  }

  /** The organization templates of `pulumi new` with PULUMI_DISABLE_REGISTRY_RESOLVE (or an older CLI). */
  async orgTemplates(org: string): Promise<TemplateInfo[]> {
    if (org !== this.deps.publisher) {
      throw new NotFoundError(`Not Found: organization '${org}' has no templates on this server`)
    }
    return this.deps.catalog ? (await this.deps.catalog.list()).templates : []
  }

  /** GetTemplate: templates of the directory are unversioned, so only `latest` names one. */
  async getTemplate(source: string, publisher: string, name: string, version: string): Promise<TemplateInfo> {
    const ref = `${source}/${publisher}/${name}`
    const template =
      source === TEMPLATE_SOURCE && publisher === this.deps.publisher
        ? await this.deps.catalog?.find(name)
        : undefined
    if (!template) throw new NotFoundError(`Not Found: template '${ref}' not found`)
    if (version !== 'latest') {
      throw new NotFoundError(
        `Not Found: template '${ref}' has no version '${version}': templates of this server are unversioned (use latest)`,
      )
    }
    return template
  }

  /** The template's folder as a gzipped tar, the bundle the CLI unpacks for `pulumi new`. */
  async templateArchive(source: string, publisher: string, name: string, version: string): Promise<Buffer> {
    const template = await this.getTemplate(source, publisher, name, version)
    return gzip(await tarDirectory(template.dir, MAX_TEMPLATE_TAR_BYTES))
  }

  private matches(template: TemplateInfo, query: TemplateQuery): boolean {
    if (query.name !== undefined && query.name !== '' && template.name !== query.name) return false
    if (query.orgLogin && query.orgLogin.toLowerCase() !== this.deps.publisher.toLowerCase()) return false
    if (!query.search) return true
    // Every space-separated term must match one field, case-insensitively (the Cloud's ListTemplates `search`).
    const fields = [
      template.name,
      template.displayName,
      template.description,
      template.language,
      ...Object.values(template.metadata),
    ].map((f) => f.toLowerCase())
    return query.search
      .toLowerCase()
      .split(/\s+/)
      .filter((term) => term !== '')
      .every((term) => fields.some((field) => field.includes(term)))
  }
}

/** Parses ListTemplates' `limit`, `continuationToken` and repeated `backing` query values. */
export function parseTemplatePaging(raw: {
  limit?: string | undefined
  continuationToken?: string | undefined
  backing?: string | string[] | undefined
}): Pick<TemplateQuery, 'limit' | 'offset' | 'backing'> {
  const limit = raw.limit === undefined ? DEFAULT_LIMIT : Number(raw.limit)
  if (!/^[0-9]+$/.test(raw.limit ?? '1') || !Number.isSafeInteger(limit) || limit < 1) {
    throw new InvalidError(`Bad Request: limit must be a positive integer, got '${raw.limit}'`)
  }
  const token = raw.continuationToken
  const offset = token === undefined || token === '' ? 0 : Number(token)
  if ((token !== undefined && token !== '' && !/^[0-9]+$/.test(token)) || !Number.isSafeInteger(offset)) {
    throw new InvalidError('Bad Request: invalid continuationToken')
  }
  const backing = raw.backing === undefined ? [] : [raw.backing].flat()
  const unknown = backing.find((b) => !BACKINGS.includes(b))
  if (unknown !== undefined) {
    throw new InvalidError(
      `Bad Request: unknown backing '${unknown}'; expected one of ${BACKINGS.join(', ')}`,
    )
  }
  return { limit: Math.min(limit, MAX_LIMIT), offset, backing }
}
