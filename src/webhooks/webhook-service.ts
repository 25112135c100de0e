import { randomBytes, randomUUID } from 'node:crypto'
import type { Store } from '../db/store.js'
import { AlreadyExistsError, InvalidError, NotFoundError } from '../errors.js'
import type { Clock } from '../lib/clock.js'
import type { MasterKey } from '../secrets/master-key.js'
import { formatStackRef, type Stack, type StackRef, validateStackRef } from '../stacks/stack.js'
import type { StackEvent, StackEventSink } from '../stacks/stack-events.js'
import {
  ENVIRONMENT_EVENTS,
  envScope,
  STACK_EVENTS,
  validateFilters,
  validateFormat,
  validateHookName,
  validatePayloadUrl,
  type Webhook,
  wants,
} from './webhook.js'
import {
  describeEnvironmentEvent,
  describeStackEvent,
  type EnvironmentEvent,
  type EventDescription,
  pingDescription,
  renderBody,
} from './webhook-payloads.js'
import { type SenderConfig, type SendResult, sendWebhook } from './webhook-sender.js'
import type { DeliveryRecord, OutboxEvent, WebhookStore } from './webhook-store.js'

/** apitype.Webhook as the CLI sends it (client.go :: CreateStackWebhook / UpdateStackWebhook). */
export interface WebhookInput {
  organizationName?: string | undefined
  projectName?: string | undefined
  stackName?: string | undefined
  name?: string | undefined
  displayName?: string | undefined
  payloadUrl?: string | undefined
  active?: boolean | undefined
  format?: string | undefined
  filters?: string[] | null | undefined
  groups?: string[] | null | undefined
  secret?: string | undefined
}

/** WebhookResponse: the secret itself is never returned. */
export interface WebhookView {
  organizationName: string
  projectName?: string
  stackName?: string
  envName?: string
  name: string
  displayName: string
  payloadUrl: string
  active: boolean
  format: string
  filters: string[]
  groups: string[]
  hasSecret: boolean
  secretCiphertext: string
}

/** apitype.WebhookDelivery; `id` is the event's, which `…/deliveries/{event}/redeliver` takes. */
export interface DeliveryView {
  id: string
  kind: string
  payload: string
  timestamp: number
  duration: number
  requestUrl: string
  requestHeaders: string
  responseCode: number
  responseHeaders: string
  responseBody: string
}

/** An organization (`stack` and `env` absent), a stack or an ESC environment. */
export interface HookScope {
  org: string
  stack?: StackRef | undefined
  env?: { project: string; name: string } | undefined
}

interface Resolved {
  org: string
  stack?: Stack | undefined
  env?: { id: string; project: string; name: string } | undefined
  /** The hooks' `stackId`: '', the stack's id or envScope(environment id). */
  scopeId: string
}

export interface RetryPolicy {
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
}

// The CLI's `pulumi stack webhook edit --secret ""` sends this to clear the secret (stack_webhook_edit.go).
const REMOVE_SECRET = '__remove-secret'
const DELIVERIES_LISTED = 100
const DUE_BATCH = 20

export class WebhookService implements StackEventSink {
  constructor(
    private readonly deps: {
      store: Store
      clock: Clock
      masterKey: MasterKey
      sender: SenderConfig
      retry: RetryPolicy
      /** Organizations hooks may be registered in. */
      isKnownOrg: (org: string) => boolean
      /** Told after a commit that queued deliveries (the delivery job starts at once). */
      onQueued?: () => void
      /** An ESC environment by name (environment webhooks). */
      findEnvironment?: (ref: {
        org: string
        project: string
        name: string
      }) => Promise<{ id: string; project: string; name: string } | undefined>
    },
  ) {}

  async list(scope: HookScope): Promise<WebhookView[]> {
    const resolved = await this.#resolve(scope)
    const hooks = await this.deps.store.webhooks.list(resolved.org, resolved.scopeId)
    return hooks.map((hook) => this.#view(hook, resolved))
  }

  async get(scope: HookScope, name: string): Promise<WebhookView> {
    const { hook, resolved } = await this.#find(scope, name)
    return this.#view(hook, resolved)
  }

  async create(scope: HookScope, input: WebhookInput): Promise<WebhookView> {
    const resolved = await this.#resolve(scope)
    const { org, stack } = resolved
    checkBodyScope(input, org, stack)
    const name = input.name || randomBytes(4).toString('hex')
    validateHookName(name)
    if (!input.payloadUrl) throw new InvalidError('Bad Request: payloadUrl is required')
    validatePayloadUrl(input.payloadUrl)
    const filters = input.filters ?? []
    const groups = input.groups ?? []
    validateFilters(filters, groups)
    const id = randomUUID()
    const hook: Webhook = {
      id,
      org,
      stackId: resolved.scopeId,
      name,
      displayName: input.displayName || name,
      payloadUrl: input.payloadUrl,
      sealedSecret: this.#seal(id, input.secret),
      active: input.active ?? true,
      format: validateFormat(input.format || 'raw'),
      filters: [...new Set(filters)],
      groups: [...new Set(groups)],
      createdAt: this.deps.clock.now(),
    }
    if (!(await this.deps.store.transaction((tx) => tx.webhooks.insert(hook)))) {
      throw new AlreadyExistsError(`Conflict: a webhook named '${name}' already exists here`)
    }
    return this.#view(hook, resolved)
  }

  /** PATCH: the CLI sends the whole hook it read, changed where asked; absent fields keep their value. */
  async update(scope: HookScope, name: string, input: WebhookInput): Promise<WebhookView> {
    const { hook, resolved } = await this.#find(scope, name)
    checkBodyScope(input, hook.org, resolved.stack)
    if (input.name !== undefined && input.name !== '' && input.name !== hook.name) {
      throw new InvalidError('Bad Request: a webhook cannot be renamed; create a new one instead')
    }
    if (input.payloadUrl !== undefined) validatePayloadUrl(input.payloadUrl)
    const filters = input.filters === undefined ? hook.filters : (input.filters ?? [])
    const groups = input.groups === undefined ? hook.groups : (input.groups ?? [])
    validateFilters(filters, groups)
    const updated: Webhook = {
      ...hook,
      displayName: input.displayName || hook.displayName,
      payloadUrl: input.payloadUrl ?? hook.payloadUrl,
      active: input.active ?? hook.active,
      format: input.format ? validateFormat(input.format) : hook.format,
      filters: [...new Set(filters)],
      groups: [...new Set(groups)],
      sealedSecret:
        input.secret === REMOVE_SECRET
          ? ''
          : input.secret
            ? this.#seal(hook.id, input.secret)
            : hook.sealedSecret,
    }
    await this.deps.store.transaction((tx) => tx.webhooks.replace(updated))
    return this.#view(updated, resolved)
  }

  async delete(scope: HookScope, name: string): Promise<void> {
    const { hook } = await this.#find(scope, name)
    await this.deps.store.transaction((tx) => tx.webhooks.delete(hook.id))
  }

  /** Sends a test event now and answers with its delivery (the hook need not be active). */
  async ping(scope: HookScope, name: string): Promise<DeliveryView> {
    const { hook } = await this.#find(scope, name)
    const now = this.deps.clock.now()
    const event = this.#outboxEvent(hook, pingDescription(hook.org, hook.name, now), 'ping', now)
    const { delivery } = await this.#deliverNow(hook, { ...event, state: 'delivered' })
    return toDeliveryView(delivery, event)
  }

  async deliveries(scope: HookScope, name: string): Promise<DeliveryView[]> {
    const { hook } = await this.#find(scope, name)
    const records = await this.deps.store.webhooks.deliveries(hook.id, DELIVERIES_LISTED)
    const events = new Map<string, OutboxEvent>()
    const views: DeliveryView[] = []
    for (const record of records) {
      let event = events.get(record.eventId)
      if (!event) {
        event = await this.deps.store.webhooks.event(record.eventId)
        if (!event) continue
        events.set(record.eventId, event)
      }
      views.push(toDeliveryView(record, event))
    }
    return views
  }

  /** Sends an event again, with the very body (and ID) it was first sent with. */
  async redeliver(scope: HookScope, name: string, eventId: string): Promise<DeliveryView> {
    const { hook } = await this.#find(scope, name)
    const event = await this.deps.store.webhooks.event(eventId)
    if (!event || event.webhookId !== hook.id) {
      throw new NotFoundError(`Not Found: webhook '${name}' has no event '${eventId}'`)
    }
    const { delivery, result } = await this.#deliverNow(hook, undefined, event)
    if (isSuccess(result) && event.state !== 'delivered') {
      await this.deps.store.webhooks.settle(event.id, {
        state: 'delivered',
        attempts: event.attempts,
        nextAttemptAt: event.nextAttemptAt,
      })
    }
    return toDeliveryView(delivery, event)
  }

  /** Queues the event for every hook that wants it, in the caller's transaction (the outbox). */
  async onStackEvent(tx: Store, event: StackEvent): Promise<void> {
    const now = this.deps.clock.now()
    if (event.kind === 'stack_deleted') await tx.webhooks.deleteOfStack(event.stack.id)
    const described = describeStackEvent(event, now)
    const spec = STACK_EVENTS[described.event]
    if (!spec) return
    const hooks = await tx.webhooks.listenersOf(event.stack.org, event.stack.id)
    const queued = hooks
      .filter((hook) => wants(hook, described.event))
      .map((hook) => this.#outboxEvent(hook, described, spec.kind, now))
    if (queued.length === 0) return
    await tx.webhooks.enqueue(queued)
    const onQueued = this.deps.onQueued
    if (onQueued) tx.afterCommit(onQueued)
  }

  /**
   * Queues an ESC environment event for every hook that wants it, with the store of the environment change's own
   * transaction (the outbox); true when something was queued (the caller kicks delivery after its commit).
   */
  async onEnvironmentEvent(webhooks: WebhookStore, event: EnvironmentEvent): Promise<boolean> {
    const now = this.deps.clock.now()
    const scopeId = envScope(event.environment.id)
    if (event.kind === 'environment_deleted') await webhooks.deleteOfStack(scopeId)
    const described = describeEnvironmentEvent(event, now)
    const spec = ENVIRONMENT_EVENTS[described.event] as { kind: string }
    const hooks = await webhooks.listenersOf(event.environment.org, scopeId)
    const queued = hooks
      .filter((hook) => wants(hook, described.event))
      .map((hook) => this.#outboxEvent(hook, described, spec.kind, now))
    if (queued.length > 0) await webhooks.enqueue(queued)
    return queued.length > 0
  }

  /** Starts delivery after a commit that queued events (environment changes commit outside the Store). */
  queued(): void {
    this.deps.onQueued?.()
  }

  /**
   * One pass of the delivery job: sends due events, each claimed in the database first so that of several replicas
   * exactly one sends it (a claim lapses if its holder dies, and another replica takes over). Returns how many.
   */
  async deliverDue(): Promise<number> {
    const { store, clock } = this.deps
    const due = await store.webhooks.due(clock.now(), DUE_BATCH)
    const sent = await Promise.all(due.map((event) => this.#deliverQueued(event)))
    return sent.filter(Boolean).length
  }

  async #deliverQueued(event: OutboxEvent): Promise<boolean> {
    const { store, clock, retry, sender } = this.deps
    const now = clock.now()
    // Held for longer than one attempt can take, so a slow receiver is never sent the event twice at once.
    if (!(await store.webhooks.claim(event.id, event.attempts, now, now + sender.timeoutMs * 2 + 1000)))
      return false
    const hook = await store.webhooks.byId(event.webhookId)
    if (!hook) {
      await store.webhooks.settle(event.id, { state: 'failed', attempts: event.attempts, nextAttemptAt: now })
      return false
    }
    const { result } = await this.#deliverNow(hook, undefined, event)
    const attempts = event.attempts + 1
    if (isSuccess(result)) {
      await store.webhooks.settle(event.id, { state: 'delivered', attempts, nextAttemptAt: now })
    } else if (attempts >= retry.maxAttempts) {
      await store.webhooks.settle(event.id, { state: 'failed', attempts, nextAttemptAt: now })
    } else {
      const delay = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempts - 1))
      await store.webhooks.settle(event.id, {
        state: 'pending',
        attempts,
        nextAttemptAt: clock.now() + delay,
      })
    }
    return true
  }

  /** Sends `event` (inserting `fresh` first when it is a new one) and records the delivery. */
  async #deliverNow(
    hook: Webhook,
    fresh: OutboxEvent | undefined,
    existing?: OutboxEvent,
  ): Promise<{ delivery: DeliveryRecord; result: SendResult }> {
    const event = (fresh ?? existing) as OutboxEvent
    // The event row carries the request's audit event; the delivery record follows the send.
    if (fresh) await this.deps.store.transaction((tx) => tx.webhooks.enqueue([fresh]))
    const sentAt = this.deps.clock.now()
    const result = await sendWebhook(
      {
        url: hook.payloadUrl,
        eventId: event.id,
        kind: event.kind,
        body: event.body,
        secret: this.#open(hook),
      },
      this.deps.sender,
      () => this.deps.clock.now(),
    )
    const delivery: DeliveryRecord = {
      id: randomUUID(),
      eventId: event.id,
      webhookId: hook.id,
      sentAt,
      durationMs: result.durationMs,
      requestUrl: hook.payloadUrl,
      requestHeaders: JSON.stringify(result.requestHeaders),
      responseCode: result.status,
      responseHeaders: JSON.stringify(result.responseHeaders),
      responseBody: result.error ? `(no answer: ${result.error})` : result.responseExcerpt,
    }
    await this.deps.store.transaction(async (tx) => {
      await tx.webhooks.record(delivery)
      await tx.webhooks.prune(hook.id, DELIVERIES_LISTED)
    })
    return { delivery, result }
  }

  #outboxEvent(hook: Webhook, described: EventDescription, kind: string, now: number): OutboxEvent {
    return {
      id: randomUUID(),
      webhookId: hook.id,
      kind,
      event: described.event,
      body: renderBody(hook.format, described),
      state: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
    }
  }

  async #resolve(scope: HookScope): Promise<Resolved> {
    if (scope.stack) {
      validateStackRef(scope.stack)
      const stack = await this.deps.store.stacks.findByRef(scope.stack)
      if (!stack) throw new NotFoundError(`Not Found: stack '${formatStackRef(scope.stack)}' not found`)
      return { org: stack.org, stack, scopeId: stack.id }
    }
    if (scope.env) {
      const ref = { org: scope.org, ...scope.env }
      const env = await this.deps.findEnvironment?.(ref)
      if (!env)
        throw new NotFoundError(`Not Found: environment ${ref.org}/${ref.project}/${ref.name} not found`)
      return { org: scope.org, env, scopeId: envScope(env.id) }
    }
    if (!this.deps.isKnownOrg(scope.org)) {
      throw new NotFoundError(`Not Found: organization '${scope.org}' does not exist on this server`)
    }
    return { org: scope.org, scopeId: '' }
  }

  async #find(scope: HookScope, name: string): Promise<{ hook: Webhook; resolved: Resolved }> {
    const resolved = await this.#resolve(scope)
    const hook = await this.deps.store.webhooks.get(resolved.org, resolved.scopeId, name)
    if (!hook) throw new NotFoundError(`Not Found: webhook '${name}' not found`)
    return { hook, resolved }
  }

  #view(hook: Webhook, { stack, env }: Resolved): WebhookView {
    return {
      organizationName: hook.org,
      ...(stack && { projectName: stack.project, stackName: stack.name }),
      ...(env && { projectName: env.project, envName: env.name }),
      name: hook.name,
      displayName: hook.displayName,
      payloadUrl: hook.payloadUrl,
      active: hook.active,
      format: hook.format,
      filters: hook.filters,
      groups: hook.groups,
      hasSecret: hook.sealedSecret !== '',
      // The Cloud's ciphertext lets its console notice a changed secret; ours never leaves the server.
      secretCiphertext: '',
    }
  }

  #seal(hookId: string, secret: string | undefined): string {
    if (!secret || secret === REMOVE_SECRET) return ''
    return this.deps.masterKey.wrap(Buffer.from(secret, 'utf8'), `webhook-secret:${hookId}`).toString('hex')
  }

  #open(hook: Webhook): string {
    if (!hook.sealedSecret) return ''
    const secret = this.deps.masterKey.unwrap(
      Buffer.from(hook.sealedSecret, 'hex'),
      `webhook-secret:${hook.id}`,
    )
    if (!secret) throw new Error(`webhook ${hook.id}: its secret cannot be opened with this master key`)
    return secret.toString('utf8')
  }
}

function isSuccess(result: SendResult): boolean {
  return result.status >= 200 && result.status < 300
}

/** The Cloud answers 400 when the body names another organization or stack than the path. */
function checkBodyScope(input: WebhookInput, org: string, stack: Stack | undefined): void {
  if (input.organizationName && input.organizationName !== org) {
    throw new InvalidError(
      `Bad Request: organizationName '${input.organizationName}' does not match the path ('${org}')`,
    )
  }
  if (stack && input.projectName && input.projectName !== stack.project) {
    throw new InvalidError(`Bad Request: projectName '${input.projectName}' does not match the path`)
  }
  if (stack && input.stackName && input.stackName !== stack.name) {
    throw new InvalidError(`Bad Request: stackName '${input.stackName}' does not match the path`)
  }
}

function toDeliveryView(delivery: DeliveryRecord, event: OutboxEvent): DeliveryView {
  return {
    id: event.id,
    kind: event.kind,
    payload: event.body,
    timestamp: Math.floor(delivery.sentAt / 1000),
    duration: delivery.durationMs,
    requestUrl: delivery.requestUrl,
    requestHeaders: delivery.requestHeaders,
    responseCode: delivery.responseCode,
    responseHeaders: delivery.responseHeaders,
    responseBody: delivery.responseBody,
  }
}
