import { type Static, Type } from 'typebox'

// sdk/go/common/apitype/templates.go and package.go: the registry shapes the CLI decodes. TypeBox schemas, so
// the OpenAPI document (src/http/route-docs.ts) describes exactly these answers.

const StringMap = Type.Record(Type.String(), Type.String())

export const TemplateMetadata = Type.Object(
  {
    name: Type.String(),
    publisher: Type.String(),
    source: Type.String(),
    displayName: Type.String(),
    description: Type.Optional(Type.String()),
    language: Type.String(),
    readmeURL: Type.String(),
    downloadURL: Type.String({
      description: 'A URL the CLI GETs for the .tar.gz bundle (client.go :: DownloadTemplate)',
    }),
    visibility: Type.String(),
    updatedAt: Type.String({ description: 'RFC 3339 (Go time.Time)' }),
    metadata: Type.Optional(StringMap),
  },
  { description: 'apitype.TemplateMetadata' },
)
export type TemplateMetadata = Static<typeof TemplateMetadata>

/** `continuationToken` is omitted on the last page: the CLI loops while it is set. */
export const ListTemplatesResponse = Type.Object(
  {
    templates: Type.Array(TemplateMetadata),
    continuationToken: Type.Optional(Type.String()),
    diagnostics: Type.Optional(Type.Array(Type.String())),
  },
  { description: 'apitype.ListTemplatesResponse' },
)
export type ListTemplatesResponse = Static<typeof ListTemplatesResponse>

export const ListPackagesResponse = Type.Object(
  {
    packages: Type.Array(
      Type.Record(Type.String(), Type.Unknown(), { description: 'apitype.PackageMetadata' }),
    ),
    continuationToken: Type.Optional(Type.String()),
  },
  { description: 'apitype.ListPackagesResponse' },
)
export type ListPackagesResponse = Static<typeof ListPackagesResponse>

/** A ProjectTemplate manifest plus where the template comes from. */
const PulumiTemplateRemote = Type.Object(
  {
    name: Type.String(),
    sourceName: Type.String(),
    sourceURL: Type.String({
      description: 'What the CLI hands back to download the template (client.go :: DownloadOrgTemplate)',
    }),
    runtime: Type.String(),
    displayName: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    metadata: Type.Optional(StringMap),
  },
  { description: 'apitype.PulumiTemplateRemote' },
)

export const ListOrgTemplatesResponse = Type.Object(
  {
    templates: Type.Record(Type.String(), Type.Array(PulumiTemplateRemote)),
    orgHasTemplates: Type.Boolean(),
    hasAccessError: Type.Boolean(),
    hasUpstreamError: Type.Boolean(),
  },
  { description: 'apitype.ListOrgTemplatesResponse' },
)
export type ListOrgTemplatesResponse = Static<typeof ListOrgTemplatesResponse>

/** The template bundle: a gzipped tar of the template's folder. */
export const TemplateArchive = Type.String({ description: 'a .tar.gz of the template folder' })
