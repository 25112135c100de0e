import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

// better-sqlite3 runs on the event loop, and SQLite's automatic WAL checkpoint runs inside whichever commit
// crosses the threshold: a multi-MB copy plus fsync that stalls that request. Checkpoints run here instead, on
// their own connection in a worker thread; PASSIVE mode never blocks the server's readers or writers.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.path)
db.pragma('busy_timeout = 5000')
const checkpoint = (mode) => { try { db.pragma('wal_checkpoint(' + mode + ')') } catch {} }
const timer = setInterval(() => checkpoint('PASSIVE'), workerData.intervalMs)
parentPort.on('message', () => {
  clearInterval(timer)
  checkpoint('PASSIVE')
  db.close()
  parentPort.close()
})
`

export interface WalCheckpointer {
  close(): Promise<void>
}

/** `onFailure` runs if the worker dies, so the caller can fall back to SQLite's own checkpoints. */
export function startWalCheckpointer(
  path: string,
  onFailure: () => void,
  intervalMs = 1000,
): WalCheckpointer {
  // Resolved here: an eval'd worker would resolve modules from the process's working directory.
  const driver = createRequire(import.meta.url).resolve('better-sqlite3')
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, intervalMs, driver } })
  worker.unref()
  worker.once('error', onFailure)
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  return {
    async close() {
      // Keep the process alive until the final checkpoint is done (the worker is unref'd while idle).
      worker.ref()
      worker.postMessage('close')
      await exited
    },
  }
}
