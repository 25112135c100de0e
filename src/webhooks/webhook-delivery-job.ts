import type { Logger } from 'pino'
import type { WebhookService } from './webhook-service.js'

/**
 * Drains the webhook outbox: a pass every `intervalMs` (retries come due, events another replica left behind) and
 * one right after a commit queued something (`kick`). Passes never overlap; `stop` waits for the one in flight.
 */
export function startWebhookDeliveryJob(webhooks: WebhookService, intervalMs: number, logger: Logger) {
  let running: Promise<void> | undefined
  let again = false
  let stopped = false
  const runOnce = (): void => {
    if (stopped) return
    if (running) {
      again = true
      return
    }
    running = (async () => {
      try {
        // A full batch may mean more are due: keep going until a pass finds less work than it could take.
        while (!stopped && (await webhooks.deliverDue()) > 0) {}
      } catch (error) {
        logger.error({ err: error }, 'webhook delivery pass failed')
      } finally {
        running = undefined
        if (again && !stopped) {
          again = false
          runOnce()
        }
      }
    })()
  }
  const timer = setInterval(runOnce, intervalMs)
  timer.unref()
  runOnce()
  return {
    kick: runOnce,
    async stop(): Promise<void> {
      stopped = true
      clearInterval(timer)
      await running
    },
  }
}
