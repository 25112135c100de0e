import type { Job } from '../jobs/job-scheduler.js'
import type { WebhookService } from './webhook-service.js'

export const WEBHOOK_DELIVERY_JOB = 'webhook-delivery'

/**
 * Drains the webhook outbox on the JobScheduler (the leader): a pass every `intervalMs` (retries come due, events
 * another replica queued) and one as soon as a commit queued something (the scheduler's `kick`). Delivery claims
 * each event in the database first, so a leader change never sends one twice at once.
 */
export function webhookDeliveryJob(webhooks: WebhookService, intervalMs: number): Job {
  return {
    name: WEBHOOK_DELIVERY_JOB,
    intervalMs,
    // Events a previous process queued (or was sending when it died) go out at start.
    atStart: true,
    async run(stopping) {
      // A pass that sent something may have left more due: keep going until one finds nothing.
      while (!stopping.aborted && (await webhooks.deliverDue()) > 0) {}
    },
  }
}
