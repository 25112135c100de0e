import type { TSchema } from 'typebox'
import {
  EnvironmentDefinition,
  EnvironmentRevisionTag,
  EnvironmentSettings,
  EnvironmentTag,
  EscEmptyResponse,
  EscEnvironmentResponse,
  ListEnvironmentReferrersResponse,
  ListEnvironmentRevisionsResponse,
  ListEnvironmentRevisionTagsResponse,
  ListEnvironmentsResponse,
  ListEnvironmentTagsResponse,
  OpenEnvironmentResponse,
  ReadOpenEnvironmentResponse,
  RotateEnvironmentResponse,
  UpdateEnvironmentResponse,
} from '../apitype/esc.js'

/** What the API documentation says about an ESC route beyond its validation schemas (cf. src/http route docs). */
export interface EscRouteDoc {
  summary: string
  /** The success answer. */
  response: TSchema
  /** Routes that take a YAML body (config.rawBody). */
  rawBody?: TSchema
  /** Content type of the success answer when it is not JSON. */
  produces?: string
}

const YAML_BODY = { type: 'string', description: 'an environment definition (YAML)' } as unknown as TSchema
const yaml = { response: EnvironmentDefinition, produces: 'application/x-yaml' }
/** Every ESC route by operationId (Pulumi Cloud's own names); test/esc/route-docs.test.ts keeps it complete. */
export const ESC_ROUTE_DOCS: Readonly<Record<string, EscRouteDoc>> = {
  ListEnvironments_esc: {
    summary: 'List environments of every organization',
    response: ListEnvironmentsResponse,
  },
  ListOrgEnvironments_esc: {
    summary: "List an organization's environments",
    response: ListEnvironmentsResponse,
  },
  CreateEnvironment_esc_environments: { summary: 'Create an environment', response: EscEmptyResponse },
  CheckYAML_esc: {
    summary: 'Check an anonymous definition',
    response: EscEnvironmentResponse,
    rawBody: YAML_BODY,
  },
  OpenYAML_esc: {
    summary: 'Open an anonymous definition',
    response: OpenEnvironmentResponse,
    rawBody: YAML_BODY,
  },
  ReadAnonymousOpenEnvironment_esc: {
    summary: 'Read an anonymous open session (whole or one property)',
    response: ReadOpenEnvironmentResponse,
  },
  ReadEnvironment_esc_environments: { summary: "Read an environment's definition", ...yaml },
  DecryptEnvironment_esc_environments: { summary: 'Read a definition with secrets decrypted', ...yaml },
  ReadEnvironment_esc_environments_versions: { summary: 'Read the definition at a revision or tag', ...yaml },
  DecryptEnvironment_esc_environments_versions: {
    summary: 'Read a revision with secrets decrypted',
    ...yaml,
  },
  UpdateEnvironment_esc_environments: {
    summary: 'Update an environment from YAML (ETag / If-Match)',
    response: UpdateEnvironmentResponse,
    rawBody: YAML_BODY,
  },
  DeleteEnvironment_esc_environments: { summary: 'Delete an environment', response: EscEmptyResponse },
  CloneEnvironment: { summary: 'Clone an environment', response: EscEmptyResponse },
  CheckEnvironment_esc_environments: { summary: 'Check an environment', response: EscEnvironmentResponse },
  CheckEnvironment_esc_environments_versions: {
    summary: 'Check a revision',
    response: EscEnvironmentResponse,
  },
  OpenEnvironment_esc_environments: { summary: 'Open an environment', response: OpenEnvironmentResponse },
  OpenEnvironment_esc_environments_versions: {
    summary: 'Open a revision',
    response: OpenEnvironmentResponse,
  },
  ReadOpenEnvironment_esc_environments: {
    summary: 'Read an open session (whole or one property)',
    response: ReadOpenEnvironmentResponse,
  },
  ListEnvironmentRevisions_esc_environments: {
    summary: 'List revisions, newest first',
    response: ListEnvironmentRevisionsResponse,
  },
  RetractEnvironmentRevision_esc_environments: { summary: 'Retract a revision', response: EscEmptyResponse },
  ListRevisionTags_esc_environments_versions: {
    summary: 'List revision tags',
    response: ListEnvironmentRevisionTagsResponse,
  },
  ListRevisionTags_esc_environments_versions2: {
    summary: 'List the tags of one revision',
    response: ListEnvironmentRevisionTagsResponse,
  },
  CreateRevisionTag_esc_environments_versions_tags: { summary: 'Tag a revision', response: EscEmptyResponse },
  ReadRevisionTag_esc_environments: { summary: 'Read a revision tag', response: EnvironmentRevisionTag },
  UpdateRevisionTag_esc_environments: { summary: 'Move a revision tag', response: EscEmptyResponse },
  DeleteRevisionTag_esc_environments: { summary: 'Delete a revision tag', response: EscEmptyResponse },
  ListEnvironmentTags_esc_environments: {
    summary: 'List environment tags',
    response: ListEnvironmentTagsResponse,
  },
  CreateEnvironmentTag_esc_environments: { summary: 'Create an environment tag', response: EnvironmentTag },
  GetEnvironmentTag_esc_environments: { summary: 'Read an environment tag', response: EnvironmentTag },
  UpdateEnvironmentTag_esc_environments: {
    summary: 'Rename or change an environment tag',
    response: EnvironmentTag,
  },
  DeleteEnvironmentTag_esc_environments: { summary: 'Delete an environment tag', response: EscEmptyResponse },
  GetEnvironmentSettings: { summary: "Read an environment's settings", response: EnvironmentSettings },
  PatchEnvironmentSettings: { summary: 'Change deletion protection', response: EscEmptyResponse },
  ListEnvironmentReferrers_esc_environments: {
    summary: 'Environments importing this one',
    response: ListEnvironmentReferrersResponse,
  },
  ListEnvironmentReferrers_esc_environments_versions: {
    summary: 'Environments importing this one (any revision)',
    response: ListEnvironmentReferrersResponse,
  },
  RotateEnvironment: {
    summary: 'Rotate the fn::rotate secrets (each answers whether its rotator is available)',
    response: RotateEnvironmentResponse,
  },
}
