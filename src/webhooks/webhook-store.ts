import type { Kysely, Selectable } from 'kysely'
import type { Database, WebhookDeliveryTable, WebhookEventTable, WebhookTable } from '../db/schema.js'
import type { Webhook, WebhookFormat } from './webhook.js'

export interface OutboxEvent {
  id: string
  webhookId: string
  kind: string
  event: string
  body: string
  state: 'pending' | 'delivered' | 'failed'
  attempts: number
  nextAttemptAt: number
  createdAt: number
}

export interface DeliveryRecord {
  id: string
  eventId: string
  webhookId: string
  sentAt: number
  durationMs: number
  requestUrl: string
  requestHeaders: string
  responseCode: number
  responseHeaders: string
  responseBody: string
}

/** Hooks, their outbox and their delivery history. */
export interface WebhookStore {
  list(org: string, stackId: string): Promise<Webhook[]>
  /** The active hooks an event of this stack goes to: the organization's and the stack's own. */
  listenersOf(org: string, stackId: string): Promise<Webhook[]>
  get(org: string, stackId: string, name: string): Promise<Webhook | undefined>
  byId(id: string): Promise<Webhook | undefined>
  /** False when the name is taken in that scope. */
  insert(hook: Webhook): Promise<boolean>
  replace(hook: Webhook): Promise<void>
  delete(id: string): Promise<void>
  deleteOfStack(stackId: string): Promise<void>

  enqueue(events: OutboxEvent[]): Promise<void>
  event(id: string): Promise<OutboxEvent | undefined>
  /** Due pending events (oldest first), not held by another deliverer. */
  due(now: number, limit: number): Promise<OutboxEvent[]>
  /** Takes an event for delivery until `until`; false when another deliverer holds it or it is no longer pending. */
  claim(id: string, attempts: number, now: number, until: number): Promise<boolean>
  settle(
    id: string,
    patch: { state: OutboxEvent['state']; attempts: number; nextAttemptAt: number },
  ): Promise<void>
  record(delivery: DeliveryRecord): Promise<void>
  deliveries(webhookId: string, limit: number): Promise<DeliveryRecord[]>
  /** Keeps the newest `keep` deliveries of a hook, and the events still pending or still listed. */
  prune(webhookId: string, keep: number): Promise<void>
}

export class SqlWebhookStore implements WebhookStore {
  constructor(private readonly db: Kysely<Database>) {}

  async list(org: string, stackId: string): Promise<Webhook[]> {
    const rows = await this.db
      .selectFrom('webhooks')
      .selectAll()
      .where('org', '=', org)
      .where('stack_id', '=', stackId)
      .orderBy('name')
      .execute()
    return rows.map(toWebhook)
  }

  async listenersOf(org: string, stackId: string): Promise<Webhook[]> {
    const rows = await this.db
      .selectFrom('webhooks')
      .selectAll()
      .where('org', '=', org)
      .where('stack_id', 'in', ['', stackId])
      .where('active', '=', 1)
      .execute()
    return rows.map(toWebhook)
  }

  async get(org: string, stackId: string, name: string): Promise<Webhook | undefined> {
    const row = await this.db
      .selectFrom('webhooks')
      .selectAll()
      .where('org', '=', org)
      .where('stack_id', '=', stackId)
      .where('name', '=', name)
      .executeTakeFirst()
    return row && toWebhook(row)
  }

  async byId(id: string): Promise<Webhook | undefined> {
    const row = await this.db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst()
    return row && toWebhook(row)
  }

  async insert(hook: Webhook): Promise<boolean> {
    const result = await this.db
      .insertInto('webhooks')
      .values(toRow(hook))
      .onConflict((oc) => oc.columns(['org', 'stack_id', 'name']).doNothing())
      .executeTakeFirst()
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
  }

  async replace(hook: Webhook): Promise<void> {
    await this.db.updateTable('webhooks').set(toRow(hook)).where('id', '=', hook.id).execute()
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute()
    await this.db.deleteFrom('webhook_events').where('webhook_id', '=', id).execute()
    await this.db.deleteFrom('webhooks').where('id', '=', id).execute()
  }

  async deleteOfStack(stackId: string): Promise<void> {
    for (const hook of await this.db
      .selectFrom('webhooks')
      .select('id')
      .where('stack_id', '=', stackId)
      .execute()) {
      await this.delete(hook.id)
    }
  }

  async enqueue(events: OutboxEvent[]): Promise<void> {
    if (events.length === 0) return
    await this.db
      .insertInto('webhook_events')
      .values(
        events.map((e) => ({
          id: e.id,
          webhook_id: e.webhookId,
          kind: e.kind,
          event: e.event,
          body: e.body,
          state: e.state,
          attempts: e.attempts,
          next_attempt_at: e.nextAttemptAt,
          claimed_until: 0,
          created_at: e.createdAt,
        })),
      )
      .execute()
  }

  async event(id: string): Promise<OutboxEvent | undefined> {
    const row = await this.db.selectFrom('webhook_events').selectAll().where('id', '=', id).executeTakeFirst()
    return row && toEvent(row)
  }

  async due(now: number, limit: number): Promise<OutboxEvent[]> {
    const rows = await this.db
      .selectFrom('webhook_events')
      .selectAll()
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where('claimed_until', '<', now)
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute()
    return rows.map(toEvent)
  }

  async claim(id: string, attempts: number, now: number, until: number): Promise<boolean> {
    // Compare-and-set on (state, attempts, claim expiry): of two replicas racing for a row, one updates it.
    const result = await this.db
      .updateTable('webhook_events')
      .set({ claimed_until: until })
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .where('attempts', '=', attempts)
      .where('claimed_until', '<', now)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) === 1
  }

  async settle(
    id: string,
    patch: { state: OutboxEvent['state']; attempts: number; nextAttemptAt: number },
  ): Promise<void> {
    await this.db
      .updateTable('webhook_events')
      .set({
        state: patch.state,
        attempts: patch.attempts,
        next_attempt_at: patch.nextAttemptAt,
        claimed_until: 0,
      })
      .where('id', '=', id)
      .execute()
  }

  async record(d: DeliveryRecord): Promise<void> {
    await this.db
      .insertInto('webhook_deliveries')
      .values({
        id: d.id,
        event_id: d.eventId,
        webhook_id: d.webhookId,
        sent_at: d.sentAt,
        duration_ms: d.durationMs,
        request_url: d.requestUrl,
        request_headers: d.requestHeaders,
        response_code: d.responseCode,
        response_headers: d.responseHeaders,
        response_body: d.responseBody,
      })
      .execute()
  }

  async deliveries(webhookId: string, limit: number): Promise<DeliveryRecord[]> {
    const rows = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('webhook_id', '=', webhookId)
      .orderBy('sent_at', 'desc')
      .orderBy('id')
      .limit(limit)
      .execute()
    return rows.map(toDelivery)
  }

  async prune(webhookId: string, keep: number): Promise<void> {
    const newest = this.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('webhook_id', '=', webhookId)
      .orderBy('sent_at', 'desc')
      .orderBy('id')
      .limit(keep)
    await this.db
      .deleteFrom('webhook_deliveries')
      .where('webhook_id', '=', webhookId)
      .where('id', 'not in', newest)
      .execute()
    const listed = this.db
      .selectFrom('webhook_deliveries')
      .select('event_id')
      .where('webhook_id', '=', webhookId)
    await this.db
      .deleteFrom('webhook_events')
      .where('webhook_id', '=', webhookId)
      .where('state', '!=', 'pending')
      .where('id', 'not in', listed)
      .execute()
  }
}

function toRow(hook: Webhook): WebhookTable {
  return {
    id: hook.id,
    org: hook.org,
    stack_id: hook.stackId,
    name: hook.name,
    display_name: hook.displayName,
    payload_url: hook.payloadUrl,
    secret: hook.sealedSecret,
    active: hook.active ? 1 : 0,
    format: hook.format,
    filters: JSON.stringify(hook.filters),
    groups: JSON.stringify(hook.groups),
    created_at: hook.createdAt,
  }
}

function toWebhook(row: Selectable<WebhookTable>): Webhook {
  return {
    id: row.id,
    org: row.org,
    stackId: row.stack_id,
    name: row.name,
    displayName: row.display_name,
    payloadUrl: row.payload_url,
    sealedSecret: row.secret,
    active: Number(row.active) === 1,
    format: row.format as WebhookFormat,
    filters: JSON.parse(row.filters) as string[],
    groups: JSON.parse(row.groups) as string[],
    createdAt: Number(row.created_at),
  }
}

function toEvent(row: Selectable<WebhookEventTable>): OutboxEvent {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    kind: row.kind,
    event: row.event,
    body: row.body,
    state: row.state,
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    createdAt: Number(row.created_at),
  }
}

function toDelivery(row: Selectable<WebhookDeliveryTable>): DeliveryRecord {
  return {
    id: row.id,
    eventId: row.event_id,
    webhookId: row.webhook_id,
    sentAt: Number(row.sent_at),
    durationMs: Number(row.duration_ms),
    requestUrl: row.request_url,
    requestHeaders: row.request_headers,
    responseCode: Number(row.response_code),
    responseHeaders: row.response_headers,
    responseBody: row.response_body,
  }
}
