import type { Clock } from '../../src/lib/clock.js'

/** A clock tests move by hand (token expiry, last-use throttling) instead of sleeping. */
export class ManualClock implements Clock {
  constructor(private ms = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.ms
  }

  advance(ms: number): void {
    this.ms += ms
  }
}
