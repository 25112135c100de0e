// sdk/go/common/apitype/templates.go and package.go: the registry shapes the CLI decodes.

/** apitype.TemplateMetadata */
export interface TemplateMetadata {
  name: string
  publisher: string
  source: string
  displayName: string
  description?: string
  language: string
  readmeURL: string
  /** A URL the CLI GETs for the template's .tar.gz (client.go :: DownloadTemplate). */
  downloadURL: string
  visibility: string
  /** RFC 3339 (Go time.Time). */
  updatedAt: string
  metadata?: Record<string, string>
}

/** apitype.ListTemplatesResponse: `continuationToken` omitted on the last page (the CLI loops while it is set). */
export interface ListTemplatesResponse {
  templates: TemplateMetadata[]
  continuationToken?: string
  diagnostics?: string[]
}

/** apitype.ListPackagesResponse */
export interface ListPackagesResponse {
  packages: unknown[]
  continuationToken?: string
}

/** apitype.PulumiTemplateRemote: a ProjectTemplate manifest plus where the template comes from. */
export interface PulumiTemplateRemote {
  name: string
  sourceName: string
  /** The identifier the CLI hands back to download the template (client.go :: DownloadOrgTemplate). */
  sourceURL: string
  runtime: string
  displayName?: string
  description?: string
  metadata?: Record<string, string>
}

/** apitype.ListOrgTemplatesResponse */
export interface ListOrgTemplatesResponse {
  templates: Record<string, PulumiTemplateRemote[]>
  orgHasTemplates: boolean
  hasAccessError: boolean
  hasUpstreamError: boolean
}
