import { type EngineEventFilter, eventMatches, isUnfiltered } from './engine-event-filter.js'
import type { UpdateLogStore } from './update-log-store.js'

export interface EngineEventPage {
  /** The matching events' JSON texts, in sequence order. */
  events: string[]
  /** The sequence of the last event looked at (matching or not): where the next page starts. */
  lastSequence: number
  /** True when every stored event after the start was looked at. */
  exhausted: boolean
}

/**
 * Pages through an update's stored engine events, applying the filters of `GET …/events`. The continuation point
 * is the last event *looked at*, not the last one returned, so filtered paging neither repeats nor skips events.
 * One request looks at no more than `maxScanned` events: a filter that matches little answers a short (even
 * empty) page with a token to continue from, instead of reading the whole log in one go.
 */
export class EngineEventReader {
  constructor(private readonly deps: { logs: UpdateLogStore; pageSize: number; maxScanned: number }) {}

  async page(updateId: string, afterSequence: number, filter: EngineEventFilter): Promise<EngineEventPage> {
    const { logs, pageSize, maxScanned } = this.deps
    const unfiltered = isUnfiltered(filter)
    const events: string[] = []
    let lastSequence = afterSequence
    let scanned = 0
    for (;;) {
      const rows = await logs.events(updateId, lastSequence, pageSize)
      for (const row of rows) {
        lastSequence = row.sequence
        scanned++
        if (eventMatches(filter, row.event)) events.push(row.event)
        if (events.length === pageSize) return { events, lastSequence, exhausted: false }
      }
      if (rows.length < pageSize) return { events, lastSequence, exhausted: true }
      if (unfiltered || scanned >= maxScanned) return { events, lastSequence, exhausted: false }
    }
  }
}
