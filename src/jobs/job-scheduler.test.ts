import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { silentLogger } from '../observability/logger.js'
import { type Job, JobScheduler } from './job-scheduler.js'
import type { LeaderLock } from './leader-lock.js'

function setup(options: { leads?: () => boolean; atStart?: boolean } = {}) {
  let now = 1_000_000
  const runs: string[] = []
  const job = (name: string, intervalMs: number, fail = false): Job => ({
    name,
    intervalMs,
    atStart: options.atStart ?? false,
    run: async () => {
      runs.push(name)
      if (fail) throw new Error('boom')
    },
  })
  let released = false
  const leader: LeaderLock = {
    acquire: async () => options.leads?.() ?? true,
    release: async () => {
      released = true
    },
  }
  const scheduler = new JobScheduler({
    clock: { now: () => now },
    leader,
    logger: silentLogger(),
    jobs: [job('fast', 1000, true), job('slow', 60_000)],
  })
  return {
    scheduler,
    runs,
    advance: (ms: number) => {
      now += ms
    },
    released: () => released,
  }
}

describe('JobScheduler', () => {
  it('runs each job when its interval has passed on the injected clock; a failing job does not stop the others', async () => {
    const { scheduler, runs, advance } = setup()
    await scheduler.runDue()
    assert.deepEqual(runs, [])
    advance(1000)
    await scheduler.runDue()
    assert.deepEqual(runs, ['fast'])
    advance(59_000)
    await scheduler.runDue()
    assert.deepEqual(runs, ['fast', 'fast', 'slow'])
    await scheduler.runDue()
    assert.deepEqual(runs, ['fast', 'fast', 'slow'], 'nothing is due again without the clock moving')
  })

  it('runOnce runs every job at once; atStart jobs are due immediately', async () => {
    const { scheduler, runs } = setup({ atStart: true })
    await scheduler.runDue()
    assert.deepEqual(runs, ['fast', 'slow'])
    await scheduler.runOnce()
    assert.deepEqual(runs, ['fast', 'slow', 'fast', 'slow'])
  })

  it('runs nothing on a node that does not hold the leader lock, and releases the lock on stop', async () => {
    let leads = false
    const { scheduler, runs, advance, released } = setup({ leads: () => leads })
    advance(120_000)
    await scheduler.runOnce()
    await scheduler.runDue()
    assert.deepEqual(runs, [])
    leads = true
    await scheduler.runDue()
    assert.deepEqual(runs, ['fast', 'slow'])
    await scheduler.stop()
    assert.ok(released())
    advance(120_000)
    await scheduler.runOnce()
    assert.deepEqual(runs, ['fast', 'slow'], 'a stopped scheduler runs nothing')
  })

  it('kick runs a job before its interval, once more if kicked while running, never two runs at once', async () => {
    let now = 0
    let active = 0
    let most = 0
    let runs = 0
    let release: () => void = () => {}
    const scheduler = new JobScheduler({
      clock: { now: () => now },
      leader: { acquire: async () => true, release: async () => {} },
      logger: silentLogger(),
      jobs: [
        {
          name: 'outbox',
          intervalMs: 60_000,
          run: async () => {
            runs++
            most = Math.max(most, ++active)
            await new Promise<void>((resolve) => {
              release = resolve
            })
            active--
          },
        },
      ],
    })
    const settle = () => new Promise((resolve) => setTimeout(resolve, 10))
    scheduler.kick('outbox')
    await settle()
    assert.equal(runs, 1)
    scheduler.kick('outbox')
    scheduler.kick('outbox')
    await settle()
    assert.equal(runs, 1, 'not while the first run is in flight')
    release()
    await settle()
    assert.equal(runs, 2, 'kicks during a run make one more run')
    release()
    await settle()
    assert.equal(runs, 2)
    assert.equal(most, 1)
    now += 60_000
    const due = scheduler.runDue()
    await settle()
    release()
    await due
    assert.equal(runs, 3)
  })
})
