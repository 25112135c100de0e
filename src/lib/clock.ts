/** Time source injected everywhere time matters, so tests can move it (lease expiry) without sleeping. */
export interface Clock {
  /** Unix milliseconds. */
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }
