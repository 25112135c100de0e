import { InvalidError } from '../errors.js'

export type WebhookFormat = 'raw' | 'slack' | 'ms_teams'
export const WEBHOOK_FORMATS: readonly WebhookFormat[] = ['raw', 'slack', 'ms_teams']

/** The `stackId` of an environment's hooks (hooks of an organization have '', of a stack its id). */
export const envScope = (environmentId: string) => `env:${environmentId}`

/** A hook as stored; `stackId` is '' for an organization hook, `env:<id>` for an environment's. The secret is never kept here in clear. */
export interface Webhook {
  id: string
  org: string
  stackId: string
  name: string
  displayName: string
  payloadUrl: string
  /** Sealed secret (hex) or '' when none. */
  sealedSecret: string
  active: boolean
  format: WebhookFormat
  filters: string[]
  groups: string[]
  createdAt: number
}

/**
 * The events this server emits, with the Pulumi-Webhook-Kind they are sent as and the group they belong to
 * (pulumi/docs webhooks.md event filters; the CLI's groupFilters in pkg/cmd/pulumi/stack/stack_webhook_new.go).
 */
export const STACK_EVENTS: Readonly<Record<string, { kind: string; group: string; orgOnly?: boolean }>> = {
  stack_created: { kind: 'stack', group: 'stacks', orgOnly: true },
  stack_deleted: { kind: 'stack', group: 'stacks', orgOnly: true },
  preview_succeeded: { kind: 'stack_preview', group: 'stacks' },
  preview_failed: { kind: 'stack_preview', group: 'stacks' },
  update_succeeded: { kind: 'stack_update', group: 'stacks' },
  update_failed: { kind: 'stack_update', group: 'stacks' },
  destroy_succeeded: { kind: 'stack_update', group: 'stacks' },
  destroy_failed: { kind: 'stack_update', group: 'stacks' },
  refresh_succeeded: { kind: 'stack_update', group: 'stacks' },
  refresh_failed: { kind: 'stack_update', group: 'stacks' },
}

/**
 * ESC environment events (pulumi/docs esc/concepts/webhooks.md), sent to organization hooks and to the
 * environment's own hooks (created/deleted: organization hooks only).
 */
export const ENVIRONMENT_EVENTS: Readonly<
  Record<string, { kind: string; group: string; orgOnly?: boolean }>
> = {
  environment_created: { kind: 'environment', group: 'environments', orgOnly: true },
  environment_deleted: { kind: 'environment', group: 'environments', orgOnly: true },
  environment_revision_created: { kind: 'environment', group: 'environments' },
}

/** Every event this server emits. */
export const EVENTS = { ...STACK_EVENTS, ...ENVIRONMENT_EVENTS }

/** Filters and groups the Cloud knows but this server never emits (no Deployments, policies, imports): accepted. */
const KNOWN_FILTERS = new Set([
  ...Object.keys(EVENTS),
  'environment_revision_retracted',
  'environment_revision_tag_created',
  'environment_revision_tag_deleted',
  'environment_revision_tag_updated',
  'environment_tag_created',
  'environment_tag_deleted',
  'environment_tag_updated',
  'imported_environment_changed',
  'import_succeeded',
  'import_failed',
  'deployment_queued',
  'deployment_started',
  'deployment_succeeded',
  'deployment_failed',
  'deployment_file_ingestion_failed',
  'drift_detected',
  'drift_detection_succeeded',
  'drift_detection_failed',
  'drift_remediation_succeeded',
  'drift_remediation_failed',
  'policy_violation_mandatory',
  'policy_violation_advisory',
])
const KNOWN_GROUPS = new Set(['stacks', 'deployments', 'policies', 'environments'])

/** Does the hook want this event? No filters and no groups: every event (the Cloud's default). */
export function wants(hook: Webhook, event: string): boolean {
  const spec = EVENTS[event]
  if (!spec || !hook.active) return false
  if (spec.orgOnly && hook.stackId !== '') return false
  if (hook.filters.length === 0 && hook.groups.length === 0) return true
  return hook.filters.includes(event) || hook.groups.includes(spec.group)
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/

export function validateHookName(name: string): void {
  if (!NAME.test(name)) {
    throw new InvalidError(
      `Bad Request: invalid webhook name '${name}': use up to 100 letters, digits, '-', '_' or '.', starting with a letter or digit`,
    )
  }
}

export function validateFormat(format: string): WebhookFormat {
  if ((WEBHOOK_FORMATS as readonly string[]).includes(format)) return format as WebhookFormat
  throw new InvalidError(
    `Bad Request: unsupported webhook format '${format}'; this server sends ${WEBHOOK_FORMATS.join(', ')}`,
  )
}

export function validateFilters(filters: readonly string[], groups: readonly string[]): void {
  const badFilter = filters.find((f) => !KNOWN_FILTERS.has(f))
  if (badFilter !== undefined)
    throw new InvalidError(`Bad Request: unknown webhook event filter '${badFilter}'`)
  const badGroup = groups.find((g) => !KNOWN_GROUPS.has(g))
  if (badGroup !== undefined) throw new InvalidError(`Bad Request: unknown webhook event group '${badGroup}'`)
}

/** Only http(s) URLs with a host; where they may point is checked again at every delivery (ssrf-guard.ts). */
export function validatePayloadUrl(text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new InvalidError(`Bad Request: payloadUrl '${text}' is not a valid URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidError(
      `Bad Request: payloadUrl must use http or https, not '${url.protocol.slice(0, -1)}'`,
    )
  }
  if (url.username || url.password) {
    throw new InvalidError(
      'Bad Request: payloadUrl must not carry credentials; use the webhook secret instead',
    )
  }
  return url
}
