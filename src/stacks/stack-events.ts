import type { Store } from '../db/store.js'
import type { Update } from '../updates/update.js'
import type { Stack } from './stack.js'

/** Something that happened to a stack, told to integrations (webhooks) inside the transaction that did it. */
export type StackEvent =
  | { kind: 'stack_created' | 'stack_deleted'; stack: Stack; user: string }
  | { kind: 'update_finished'; stack: Stack; update: Update; succeeded: boolean }

/**
 * The port services call with their transaction, so an event is recorded (e.g. in the webhook outbox) exactly when
 * what caused it commits: nothing lost on a crash, nothing sent for a rolled-back change.
 */
export interface StackEventSink {
  onStackEvent(tx: Store, event: StackEvent): Promise<void>
}

/** Tells every sink, in order, in the same transaction. */
export function allOf(...sinks: StackEventSink[]): StackEventSink {
  return {
    async onStackEvent(tx, event) {
      for (const sink of sinks) await sink.onStackEvent(tx, event)
    },
  }
}
