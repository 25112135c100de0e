// Row types of every table, shared by the SQL stores. Timestamps are Unix milliseconds; JSON columns are text.
export interface Database {
  meta: MetaTable
  access_tokens: AccessTokenTable
  stacks: StackTable
  stack_keys: StackKeyTable
  state_versions: StateVersionTable
  updates: UpdateTable
  journal_entries: JournalEntryTable
  engine_events: EngineEventTable
  checkpoint_log: CheckpointLogTable
  login_sessions: LoginSessionTable
  webhooks: WebhookTable
  webhook_events: WebhookEventTable
  webhook_deliveries: WebhookDeliveryTable
  search_resources: SearchResourceTable
  search_index_queue: SearchIndexQueueTable
  audit_events: AuditEventTable
  console_flashes: ConsoleFlashTable
  stack_teams: StackTeamTable
}

/** A console one-time message (0030-console-flashes), sealed with a key derived from the session cookie. */
export interface ConsoleFlashTable {
  /** sha256 hex derived from the session cookie: one pending flash per session. */
  id: string
  /** base64 of the AES-GCM sealed JSON message. */
  sealed: string
  expires_at: number
}

/** A team granted access to a stack at its creation (0021-stack-teams). */
export interface StackTeamTable {
  stack_id: string
  team: string
  permission: string
  granted_by: string
  created_at: number
}

/** One audit event (0020-audit); `hash` chains it to the previous row's. */
export interface AuditEventTable {
  seq: number
  time_ms: number
  org: string
  actor: string
  token_name: string | null
  action: string
  method: string
  resource: string
  result: string
  http_status: number
  source_ip: string
  user_agent: string
  description: string
  prev_hash: string
  hash: string
}

export interface MetaTable {
  key: string
  value: string
}

export interface AccessTokenTable {
  id: string
  /** sha256 hex of the token; the token itself is never stored. */
  token_hash: string
  name: string
  user_login: string
  created_at: number
  last_used_at: number | null
  /** personal | organization (added by 0004-logins). */
  kind: string
  description: string
  /** Owning organization of organization tokens. */
  org: string | null
  /** JSON array of the groups captured when the token was minted. */
  groups: string
  created_by: string | null
  expires_at: number | null
  /** base64 of the IdP refresh token sealed with the master key (oidc/google logins). */
  idp_refresh_token: string | null
  revalidated_at: number | null
}

/** A browser or CLI login between the redirect to the identity provider and its callback; single use. */
export interface LoginSessionTable {
  /** sha256 hex of the CSRF value carried in the OAuth state and the oauth_state cookie. */
  id: string
  oidc_nonce: string
  pkce_verifier: string
  cli_port: number | null
  cli_nonce: string | null
  cli_description: string | null
  created_at: number
  expires_at: number
}

export interface StackTable {
  id: string
  org: string
  project: string
  name: string
  tags: string
  /** Latest stack version (0 = never updated). */
  version: number
  resource_count: number
  /** The running non-preview update holding the stack, if any. */
  locked_by_update: string | null
  /** Most recent update id (for `activeUpdate` after completion). */
  last_update_id: string | null
  last_update_at: number | null
  created_at: number
}

export interface StackKeyTable {
  stack_id: string
  /** The stack's data key, wrapped (AES-256-GCM) by the master key. */
  wrapped_key: Buffer
  created_at: number
}

export interface StateVersionTable {
  stack_id: string
  version: number
  /** The UntypedDeployment JSON text, gzipped or not (see `encoding`). */
  deployment: Buffer
  encoding: 'gzip' | 'identity'
  sha256: string
  size: number
  resource_count: number
  created_at: number
}

export interface UpdateTable {
  id: string
  stack_id: string
  kind: string
  dry_run: number
  status: string
  /** Stack version this update produces (or the current one for previews). */
  version: number
  /** Stack version whose state was the base of this update. */
  base_version: number
  program: string
  config: string
  message: string
  environment: string
  requested_by: string
  created_at: number
  started_at: number | null
  ended_at: number | null
  lease_token_hash: string | null
  previous_lease_token_hash: string | null
  lease_expires_at: number | null
  /** Generation of the current lease token (0 at start, +1 per renewal); see lib/tokens.ts :: leaseToken. */
  lease_generation: number
  /** Uploads held by the durable log (journal batches, checkpoint rows); advanced with each append. */
  applied_position: number
  journal_version: number
  checkpoint_seq: number
  resource_changes: string | null
  resource_count: number | null
}

export interface JournalEntryTable {
  update_id: string
  sequence_id: number
  entry: string
}

export interface EngineEventTable {
  update_id: string
  sequence: number
  event: string
}

export interface CheckpointLogTable {
  update_id: string
  /** Order of arrival within the update. */
  position: number
  sequence_number: number
  /** 'text': a whole checkpoint text; 'delta': JSON edits against the previous text. */
  kind: 'text' | 'delta'
  payload: Buffer
}

export interface WebhookTable {
  id: string
  org: string
  /** '' for an organization hook. */
  stack_id: string
  name: string
  display_name: string
  payload_url: string
  /** Sealed secret (hex), '' when none. */
  secret: string
  active: number
  format: string
  /** JSON arrays of strings. */
  filters: string
  groups: string
  created_at: number
}

export interface WebhookEventTable {
  id: string
  webhook_id: string
  /** Pulumi-Webhook-Kind, e.g. `stack_update`. */
  kind: string
  /** The filter name, e.g. `update_succeeded`. */
  event: string
  body: string
  state: 'pending' | 'delivered' | 'failed'
  attempts: number
  next_attempt_at: number
  claimed_until: number
  created_at: number
}

export interface WebhookDeliveryTable {
  id: string
  event_id: string
  webhook_id: string
  sent_at: number
  duration_ms: number
  request_url: string
  request_headers: string
  /** 0 when no answer came (refused, timeout, network error). */
  response_code: number
  response_headers: string
  response_body: string
}

/** A stack whose latest state the search index has yet to take in (0031-search-indices). */
export interface SearchIndexQueueTable {
  stack_id: string
  version: number
  queued_at: number
}

export interface SearchResourceTable {
  stack_id: string
  urn: string
  org: string
  project: string
  stack: string
  type: string
  name: string
  package: string
  module: string
  resource_id: string
  custom: number
  protected: number
  parent_urn: string
  provider_urn: string
  /** JSON array of URNs. */
  dependencies: string
  created_at: number
  modified_at: number
}
