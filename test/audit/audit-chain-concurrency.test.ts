// The audit hash chain under concurrent writers: two "replicas" (two connection pools on one database) append at
// the same time, each event inside a transaction that also changes something, as requests do. The chain must
// stay one line (no two events linking to the same predecessor, no append failing on a taken sequence number),
// and `audit verify` must accept it.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { AuditEvent } from '../../src/audit/audit-event.js'
import { verifyChain } from '../../src/audit/verify-chain.js'
import type { OpenedDatabase } from '../../src/db/database.js'
import { openDatabase } from '../../src/db/open-database.js'
import { SqlStore } from '../../src/db/store.js'
import { DIALECTS } from '../store/dialects.js'

const event = (actor: string, i: number): AuditEvent => ({
  timeMs: 1_700_000_000_000 + i,
  org: 'acme',
  actor,
  tokenName: undefined,
  action: 'concurrent',
  method: 'POST',
  resource: `acme/p/s${i}`,
  result: 'success',
  httpStatus: 200,
  sourceIp: '127.0.0.1',
  userAgent: 'test',
  description: '',
})

for (const dialect of DIALECTS) {
  describe(`audit chain with two concurrent writers (${dialect.name})`, { skip: dialect.skip }, () => {
    const opened: OpenedDatabase[] = []
    let replicas: SqlStore[] = []
    before(async () => {
      const target = await dialect.target()
      for (let i = 0; i < 2; i++) opened.push(await openDatabase(target, { maxConnections: 8 }))
      replicas = opened.map((database) => new SqlStore(database.db, database.dialect))
    })
    after(async () => {
      for (const database of opened) await database.close()
    })

    it('appends every event exactly once, in one verifiable chain', async () => {
      const PER_WRITER = 40
      await Promise.all(
        replicas.map((store, r) =>
          Promise.all(
            Array.from({ length: PER_WRITER }, (_, i) =>
              store.transaction(async (tx) => {
                // The change the event records, then the event: the order SqlStore.transaction uses.
                await tx.meta.setIfAbsent(`change-${r}-${i}`, 'x')
                return tx.audit.append(event(`replica-${r}`, i))
              }),
            ),
          ),
        ),
      )
      const verdict = await verifyChain((replicas[0] as SqlStore).audit)
      assert.deepEqual(verdict, { ok: true, events: 2 * PER_WRITER })
    })
  })
}
