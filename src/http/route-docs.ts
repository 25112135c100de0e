import type { TSchema } from 'typebox'
import { ResponseAuditLogs } from '../apitype/audit.js'
import { ListOrganizationMembersResponse } from '../apitype/organizations.js'
import {
  ListOrgTemplatesResponse,
  ListPackagesResponse,
  ListTemplatesResponse,
  TemplateArchive,
  TemplateMetadata,
} from '../apitype/registry.js'
import {
  GetStackResourceCountResponse,
  GetStackResourceResponse,
  GetStackResourcesResponse,
} from '../apitype/resources.js'
import {
  BatchDecryptResponse,
  BatchEncryptResponse,
  CapabilitiesResponse,
  DecryptValueResponse,
  EmptyResponse,
  EncryptValueResponse,
  EngineEventBatch,
  GetDefaultOrganizationResponse,
  GetHistoryResponse,
  ImportStackResponse,
  ListStacksResponse,
  PatchUpdateCheckpointRequest,
  PatchUpdateVerbatimCheckpointRequest,
  RenewUpdateLeaseResponse,
  ServiceUser,
  StackResponse,
  StartUpdateResponse,
  StatusResponse,
  UntypedDeployment,
  UpdateEventsResponse,
  UpdateInfoWithInfo,
  UpdateProgramResponse,
  UpdateResults,
  UpdateSummary,
} from '../apitype/responses.js'
import { ResourceSearchResult } from '../apitype/search.js'
import { ListRolesResponse, ListTeamsResponse, Team } from '../apitype/teams.js'
import {
  CreateAccessTokenResponse,
  HtmlPage,
  IdTokenExchangeResponse,
  ListAccessTokensResponse,
  ListUserTokensResponse,
  RevokeUserTokensResponse,
  TokenExchangeGrantResponse,
} from '../apitype/tokens.js'
import { WebhookDelivery, WebhookDeliveryList, WebhookList, WebhookResponse } from '../apitype/webhooks.js'
import { CreateBackupResponse } from '../backups/backup-routes.js'
import { ESC_ROUTE_DOCS } from '../esc/esc-route-docs.js'

/** What the OpenAPI document says about a route beyond its validation schemas. */
export interface RouteDoc {
  summary: string
  tag:
    | 'Health'
    | 'Operations'
    | 'Users'
    | 'Tokens'
    | 'Login'
    | 'Stacks'
    | 'State'
    | 'Secrets'
    | 'Updates'
    | 'History'
    | 'Organizations'
    | 'Registry'
    | 'Environments'
    | 'Webhooks'
    | 'Search'
    | 'Access control'
  /** The success answer; `null`: no body (HEAD). */
  response: TSchema | null
  /** Only for routes that take raw bytes (config.rawBody), which have no validation schema for their body. */
  rawBody?: TSchema
  /** Content type of the success answer when it is not JSON. */
  produces?: string
}

/**
 * Success answers (and raw request bodies) by CLI endpoint name. Answers are documented here, not as Fastify
 * response schemas, because a response schema would make Fastify re-serialize answers through it (filtering and
 * coercing fields); handlers build exactly what the CLI expects. test/api/openapi.test.ts fails when a route has
 * no entry, and test/api/openapi-responses.test.ts checks real answers against these schemas.
 */
export const ROUTE_DOCS: Readonly<Record<string, RouteDoc>> = {
  getStatus: { summary: 'Liveness (root)', tag: 'Health', response: StatusResponse },
  getHealth: { summary: 'Liveness probe', tag: 'Health', response: StatusResponse },
  getReadiness: { summary: 'Readiness probe: the database answers', tag: 'Health', response: StatusResponse },
  getMetrics: {
    summary: 'Prometheus metrics',
    tag: 'Operations',
    response: { type: 'string', description: 'Prometheus text exposition format' } as TSchema,
    produces: 'text/plain',
  },
  getOpenApi: {
    summary: 'This OpenAPI document',
    tag: 'Operations',
    response: { type: 'object', additionalProperties: true } as TSchema,
  },
  getCpuProfile: {
    summary: 'V8 CPU profile for `seconds` (management listener with -pprof)',
    tag: 'Operations',
    response: { type: 'object', additionalProperties: true, description: '.cpuprofile' } as TSchema,
  },
  getHeapSnapshot: {
    summary: 'V8 heap snapshot (management listener with -pprof)',
    tag: 'Operations',
    response: { type: 'object', additionalProperties: true, description: '.heapsnapshot' } as TSchema,
  },

  createBackup: {
    summary: 'Take a backup now (admin): a consistent snapshot to every configured destination',
    tag: 'Operations',
    response: CreateBackupResponse,
  },

  getCurrentUser: { summary: 'The logged-in user', tag: 'Users', response: ServiceUser },
  getDefaultOrg: {
    summary: "The user's default organization",
    tag: 'Users',
    response: GetDefaultOrganizationResponse,
  },
  getCapabilities: {
    summary: 'Service capabilities (delta checkpoints…)',
    tag: 'Users',
    response: CapabilitiesResponse,
  },

  ListPersonalTokens: {
    summary: "The caller's personal tokens",
    tag: 'Tokens',
    response: ListAccessTokensResponse,
  },
  CreatePersonalToken: {
    summary: 'Mint a personal token',
    tag: 'Tokens',
    response: CreateAccessTokenResponse,
  },
  DeletePersonalToken: { summary: 'Revoke a personal token', tag: 'Tokens', response: EmptyResponse },
  ListOrgTokens: {
    summary: "An organization's tokens (admins)",
    tag: 'Tokens',
    response: ListAccessTokensResponse,
  },
  CreateOrgToken: {
    summary: 'Mint an organization token (admins)',
    tag: 'Tokens',
    response: CreateAccessTokenResponse,
  },
  DeleteOrgToken: { summary: 'Revoke an organization token', tag: 'Tokens', response: EmptyResponse },
  listUserTokens: { summary: "A user's tokens (admins)", tag: 'Tokens', response: ListUserTokensResponse },
  revokeUserTokens: {
    summary: "Revoke all of a user's tokens (admins)",
    tag: 'Tokens',
    response: RevokeUserTokensResponse,
  },
  invalidateGroupsCache: {
    summary: 'Forget cached Google groups (admins; 204)',
    tag: 'Tokens',
    response: null,
  },
  Token: {
    summary: 'OIDC token exchange (pulumi login --oidc-token)',
    tag: 'Login',
    response: TokenExchangeGrantResponse,
  },
  tokenExchange: {
    summary: 'Exchange an ID token for an access token',
    tag: 'Login',
    response: IdTokenExchangeResponse,
  },
  loginPage: { summary: 'Browser sign-in page', tag: 'Login', response: HtmlPage, produces: 'text/html' },
  cliLogin: {
    summary: 'pulumi login in the browser: redirects to the provider (307)',
    tag: 'Login',
    response: null,
  },
  loginCallback: {
    summary: "The provider's redirect back",
    tag: 'Login',
    response: HtmlPage,
    produces: 'text/html',
  },
  welcomeCLI: { summary: 'Login complete page', tag: 'Login', response: HtmlPage, produces: 'text/html' },
  listUserStacks: { summary: "List the user's stacks", tag: 'Stacks', response: ListStacksResponse },

  listOrganizationStacks: {
    summary: "List an organization's stacks",
    tag: 'Stacks',
    response: ListStacksResponse,
  },
  projectExists: { summary: 'Does the project have stacks (200 or 404)', tag: 'Stacks', response: null },
  createStack: { summary: 'Create a stack', tag: 'Stacks', response: EmptyResponse },
  getStack: { summary: 'Get a stack', tag: 'Stacks', response: StackResponse },
  deleteStack: { summary: 'Delete a stack', tag: 'Stacks', response: EmptyResponse },
  renameStack: {
    summary: 'Rename a stack (or move it to another project)',
    tag: 'Stacks',
    response: EmptyResponse,
  },
  updateStackTags: { summary: "Replace a stack's tags", tag: 'Stacks', response: EmptyResponse },

  exportStack: { summary: 'Export the current state', tag: 'State', response: UntypedDeployment },
  exportStackVersion: { summary: 'Export the state of a version', tag: 'State', response: UntypedDeployment },
  importStack: {
    summary: 'Import a state as a new version',
    tag: 'State',
    response: ImportStackResponse,
    rawBody: UntypedDeployment,
  },

  getStackResourceCount: {
    summary: 'How many resources the latest state holds',
    tag: 'State',
    response: GetStackResourceCountResponse,
  },
  getStackResources: {
    summary: 'The resources at `latest` or a version (secret values masked)',
    tag: 'State',
    response: GetStackResourcesResponse,
  },
  getStackResource: {
    summary: 'One resource by URN at `latest` or a version (secret values masked)',
    tag: 'State',
    response: GetStackResourceResponse,
  },

  encryptValue: {
    summary: 'Encrypt a value with the stack key',
    tag: 'Secrets',
    response: EncryptValueResponse,
  },
  decryptValue: {
    summary: 'Decrypt a value with the stack key',
    tag: 'Secrets',
    response: DecryptValueResponse,
  },
  batchEncrypt: { summary: 'Encrypt values', tag: 'Secrets', response: BatchEncryptResponse },
  batchDecrypt: { summary: 'Decrypt values', tag: 'Secrets', response: BatchDecryptResponse },
  log3rdPartySecretsProviderDecryptionEvent: {
    summary: 'Record a decryption by another secrets provider (acknowledged)',
    tag: 'Secrets',
    response: EmptyResponse,
  },
  logBulk3rdPartySecretsProviderDecryptionEvent: {
    summary: 'Record decryptions by another secrets provider (acknowledged)',
    tag: 'Secrets',
    response: EmptyResponse,
  },

  createUpdate: { summary: 'Create an update (pulumi up)', tag: 'Updates', response: UpdateProgramResponse },
  createPreview: { summary: 'Create a preview', tag: 'Updates', response: UpdateProgramResponse },
  createRefresh: { summary: 'Create a refresh', tag: 'Updates', response: UpdateProgramResponse },
  createDestroy: { summary: 'Create a destroy', tag: 'Updates', response: UpdateProgramResponse },
  startUpdate: {
    summary: 'Start an update: lock the stack, get a lease',
    tag: 'Updates',
    response: StartUpdateResponse,
  },
  getUpdateStatus: { summary: "An update's status", tag: 'Updates', response: UpdateResults },
  renewLease: { summary: "Renew an update's lease", tag: 'Updates', response: RenewUpdateLeaseResponse },
  patchCheckpoint: {
    summary: 'Save a full checkpoint',
    tag: 'Updates',
    response: EmptyResponse,
    rawBody: PatchUpdateCheckpointRequest,
  },
  patchCheckpointVerbatim: {
    summary: 'Save a checkpoint, keeping its exact text',
    tag: 'Updates',
    response: EmptyResponse,
    rawBody: PatchUpdateVerbatimCheckpointRequest,
  },
  patchCheckpointDelta: {
    summary: 'Save a checkpoint as edits of the last',
    tag: 'Updates',
    response: EmptyResponse,
  },
  patchJournalEntries: { summary: 'Save journal entries', tag: 'Updates', response: EmptyResponse },
  postEngineEventBatch: {
    summary: 'Save engine events',
    tag: 'Updates',
    response: EmptyResponse,
    rawBody: EngineEventBatch,
  },
  completeUpdate: { summary: 'Complete an update', tag: 'Updates', response: EmptyResponse },
  cancelUpdate: { summary: 'Cancel an update', tag: 'Updates', response: EmptyResponse },
  getUpdateEvents: {
    summary: "An update's engine events, paged",
    tag: 'Updates',
    response: UpdateEventsResponse,
  },

  getStackUpdates: { summary: 'Update history, paged', tag: 'History', response: GetHistoryResponse },
  getLatestStackUpdate: { summary: 'The latest update', tag: 'History', response: UpdateInfoWithInfo },
  getStackUpdate: {
    summary: 'The update that produced a version',
    tag: 'History',
    response: UpdateInfoWithInfo,
  },
  getStackUpdateSummary: {
    summary: "An update's result, times and resource count",
    tag: 'History',
    response: UpdateSummary,
  },

  listOrganizationMembers: {
    summary: "An organization's members (single-tenant: the one user)",
    tag: 'Organizations',
    response: ListOrganizationMembersResponse,
  },
  listTemplates: {
    summary: "An organization's project templates (from -templates-dir)",
    tag: 'Organizations',
    response: ListOrgTemplatesResponse,
  },
  downloadTemplates: {
    summary: 'An organization template as a tar (Content-Encoding: gzip)',
    tag: 'Organizations',
    response: TemplateArchive,
    produces: 'application/x-tar',
  },

  ListTeams: {
    summary: 'Teams: the groups of -rbac-config the caller belongs to (all of them for organization admins)',
    tag: 'Access control',
    response: ListTeamsResponse,
  },
  GetTeam: {
    summary: 'One team (404 when the caller may not see it)',
    tag: 'Access control',
    response: Team,
  },
  ListRoles: {
    summary: 'The permission levels as roles; the default is marked',
    tag: 'Access control',
    response: ListRolesResponse,
  },
  ListAuditLogEvents: {
    summary: 'Audit log events, newest first, 100 a page (organization admins)',
    tag: 'Access control',
    response: ResponseAuditLogs,
  },
  ExportAuditLogEvents: {
    summary: 'Audit log events as CSV (up to 10,000; X-Continuation-Token continues)',
    tag: 'Access control',
    response: { type: 'string', description: 'CSV with a header row' } as TSchema,
    produces: 'text/csv',
  },
  ListAuditLogEventsV2: {
    summary:
      'Audit log events, startTime as the lower bound (V2), newest first, 100 a page (organization admins)',
    tag: 'Access control',
    response: ResponseAuditLogs,
  },
  ExportAuditLogEventsV2: {
    summary: 'Audit log events as CSV, startTime as the lower bound (V2; X-Continuation-Token continues)',
    tag: 'Access control',
    response: { type: 'string', description: 'CSV with a header row' } as TSchema,
    produces: 'text/csv',
  },

  listRegistryTemplates: {
    summary: 'Registry templates (from -templates-dir), filtered and paged',
    tag: 'Registry',
    response: ListTemplatesResponse,
  },
  getTemplateVersion: {
    summary: 'A registry template (version latest)',
    tag: 'Registry',
    response: TemplateMetadata,
  },
  downloadRegistryTemplate: {
    summary: "A registry template's .tar.gz (its downloadURL)",
    tag: 'Registry',
    response: TemplateArchive,
    produces: 'application/gzip',
  },
  listRegistryPackages: {
    summary: 'Registry packages (none are hosted here)',
    tag: 'Registry',
    response: ListPackagesResponse,
  },
  // ESC (src/esc/esc-route-docs.ts; test/esc/route-docs.test.ts checks them against real answers).
  ...Object.fromEntries(
    Object.entries(ESC_ROUTE_DOCS).map(([id, doc]) => [
      id,
      { ...doc, tag: 'Environments' } satisfies RouteDoc,
    ]),
  ),

  ...webhookDocs('Organization', 'an organization'),
  ...webhookDocs('Stack', 'a stack'),
  ...webhookDocs('Environment', 'an ESC environment'),
  searchResources: {
    summary: 'Search the resources of every stack of the organization (query language in the README)',
    tag: 'Search',
    response: ResourceSearchResult,
  },
  searchResourcesV1: {
    summary: 'The same search at its v1 path (what `pulumi org search` calls)',
    tag: 'Search',
    response: ResourceSearchResult,
  },
}

/** The same eight webhook operations at each scope (src/webhooks/webhook-routes.ts). */
function webhookDocs(scope: string, owner: string): Record<string, RouteDoc> {
  const doc = (summary: string, response: RouteDoc['response']): RouteDoc => ({
    summary,
    tag: 'Webhooks',
    response,
  })
  return {
    [`list${scope}Webhooks`]: doc(`The webhooks of ${owner}`, WebhookList),
    [`create${scope}Webhook`]: doc('Create a webhook (201)', WebhookResponse),
    [`get${scope}Webhook`]: doc('A webhook', WebhookResponse),
    [`update${scope}Webhook`]: doc(
      'Change a webhook (absent fields kept; secret `__remove-secret` clears it)',
      WebhookResponse,
    ),
    [`delete${scope}Webhook`]: doc('Delete a webhook and its history', EmptyResponse),
    [`ping${scope}Webhook`]: doc('Send a test event now', WebhookDelivery),
    [`list${scope}WebhookDeliveries`]: doc('Recent delivery attempts, newest first', WebhookDeliveryList),
    [`redeliver${scope}WebhookEvent`]: doc('Send an event again, same body and ID', WebhookDelivery),
  }
}
