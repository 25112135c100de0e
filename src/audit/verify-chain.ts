import { chainHash } from './audit-event.js'
import type { SqlAuditStore } from './audit-store.js'

export type ChainVerdict =
  | { ok: true; events: number }
  | { ok: false; events: number; seq: number; problem: string }

/** Walks the whole log in order and checks every link: a changed field, a deleted or inserted row all show. */
export async function verifyChain(store: SqlAuditStore, batch = 1000): Promise<ChainVerdict> {
  const anchor = await store.anchor()
  let expectedSeq = anchor.seq + 1
  let prevHash = anchor.hash
  let count = 0
  for (;;) {
    const rows = await store.scan(expectedSeq - 1, batch)
    if (rows.length === 0) return { ok: true, events: count }
    for (const row of rows) {
      if (row.seq !== expectedSeq) {
        return { ok: false, events: count, seq: expectedSeq, problem: `event ${expectedSeq} is missing` }
      }
      if (row.prevHash !== prevHash) {
        return {
          ok: false,
          events: count,
          seq: row.seq,
          problem: 'previous-hash link broken (a row before it was changed or removed)',
        }
      }
      if (chainHash(prevHash, row.seq, row) !== row.hash) {
        return {
          ok: false,
          events: count,
          seq: row.seq,
          problem: 'contents do not match its hash (the row was edited)',
        }
      }
      prevHash = row.hash
      expectedSeq++
      count++
    }
  }
}
