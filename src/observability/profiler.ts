import { Session } from 'node:inspector/promises'
import type { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { getHeapSnapshot } from 'node:v8'

/**
 * On-demand profiles of this process, the counterpart of the Go server's -pprof: a V8 CPU profile (the
 * .cpuprofile JSON that Chrome DevTools and speedscope open) and a V8 heap snapshot (.heapsnapshot).
 */
export class Profiler {
  #running = false

  get busy(): boolean {
    return this.#running
  }

  /** Samples the CPU for `seconds` (cut short by `signal`) and returns the profile as JSON text. */
  async cpuProfile(seconds: number, signal?: AbortSignal): Promise<string> {
    if (this.#running) throw new Error('a CPU profile is already running')
    this.#running = true
    const session = new Session()
    session.connect()
    try {
      await session.post('Profiler.enable')
      await session.post('Profiler.start')
      await sleep(seconds * 1000, undefined, { signal }).catch(() => {})
      const { profile } = await session.post('Profiler.stop')
      return JSON.stringify(profile)
    } finally {
      session.disconnect()
      this.#running = false
    }
  }

  /** A heap snapshot, streamed. Taking it pauses the process (seconds for a large heap). */
  heapSnapshot(): Readable {
    return getHeapSnapshot()
  }
}
