import type { StackEvent } from '../stacks/stack-events.js'
import type { WebhookFormat } from './webhook.js'

/** Who and where, as every Cloud payload carries them (pulumi/docs webhooks.md "Payloads"). */
interface Party {
  name: string
  githubLogin: string
  avatarUrl: string
}

export interface EventDescription {
  /** Filter name, e.g. `update_succeeded`. */
  event: string
  /** The raw JSON payload (the `raw` format); the other formats are rendered from it. */
  payload: Record<string, unknown>
  /** One line for chat formats. */
  summary: string
}

const party = (login: string): Party => ({ name: login, githubLogin: login, avatarUrl: '' })

/** The event name and raw payload of a stack event, in the Cloud's shapes. */
export function describeStackEvent(event: StackEvent, at: number): EventDescription {
  const { stack } = event
  const where = `${stack.org}/${stack.project}/${stack.name}`
  const base = {
    organization: party(stack.org),
    projectName: stack.project,
    stackName: stack.name,
    timestamp: Math.floor(at / 1000),
  }
  if (event.kind === 'stack_created' || event.kind === 'stack_deleted') {
    const action = event.kind === 'stack_created' ? 'created' : 'deleted'
    return {
      event: event.kind,
      payload: { ...base, user: party(event.user), action },
      summary: `Stack ${where} was ${action} by ${event.user}`,
    }
  }
  if (event.kind !== 'update_finished') throw new Error('unreachable')
  const { update } = event
  const isPreview = update.kind === 'preview' || update.dryRun
  const operation = isPreview ? 'preview' : update.kind
  const result = event.succeeded ? 'succeeded' : 'failed'
  return {
    event: `${operation}_${result}`,
    payload: {
      ...base,
      user: party(update.requestedBy),
      // There is no console here: the update's REST resource (relative to this server) stands in for its page.
      updateUrl: `/api/stacks/${stack.org}/${stack.project}/${stack.name}/updates/${update.version}`,
      kind: isPreview ? 'update' : update.kind,
      result,
      resourceChanges: update.resourceChanges ?? {},
      isPreview,
    },
    summary: `${capitalised(operation)} of ${where} ${result}${changes(update.resourceChanges)}`,
  }
}

/** Something that happened to an ESC environment, told to webhooks in the transaction that did it. */
export interface EnvironmentEvent {
  kind: 'environment_created' | 'environment_deleted' | 'environment_revision_created'
  environment: { id: string; org: string; project: string; name: string }
  user: string
  revision?: number
}

/** The event name and raw payload of an environment event (the stack payloads' shape, with the environment). */
export function describeEnvironmentEvent(event: EnvironmentEvent, at: number): EventDescription {
  const { environment: env } = event
  const where = `${env.org}/${env.project}/${env.name}`
  const what =
    event.kind === 'environment_revision_created'
      ? `revision ${event.revision} of environment ${where} was created`
      : `environment ${where} was ${event.kind === 'environment_created' ? 'created' : 'deleted'}`
  return {
    event: event.kind,
    payload: {
      organization: party(env.org),
      user: party(event.user),
      projectName: env.project,
      envName: env.name,
      ...(event.revision !== undefined && { revision: event.revision }),
      timestamp: Math.floor(at / 1000),
    },
    summary: `${capitalised(what)} by ${event.user}`,
  }
}

/** The request body for a hook's format: raw JSON, a Slack message, or a Microsoft Teams MessageCard. */
export function renderBody(format: WebhookFormat, described: EventDescription): string {
  switch (format) {
    case 'raw':
      return JSON.stringify(described.payload)
    case 'slack':
      return JSON.stringify({
        text: described.summary,
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: described.summary } }],
      })
    case 'ms_teams':
      return JSON.stringify({
        '@type': 'MessageCard',
        '@context': 'https://schema.org/extensions',
        summary: described.summary,
        title: described.event,
        text: described.summary,
      })
  }
}

/** The payload of a ping (the Cloud's "test" delivery). */
export function pingDescription(org: string, hookName: string, at: number): EventDescription {
  return {
    event: 'ping',
    payload: {
      organization: party(org),
      message: `Ping of webhook '${hookName}'`,
      timestamp: Math.floor(at / 1000),
    },
    summary: `Ping of webhook '${hookName}' from pulumi-backend`,
  }
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

function changes(resourceChanges: Record<string, number> | null): string {
  const parts = Object.entries(resourceChanges ?? {})
    .filter(([op, n]) => op !== 'same' && n > 0)
    .map(([op, n]) => `${n} ${op}`)
  return parts.length > 0 ? ` (${parts.join(', ')})` : ''
}
