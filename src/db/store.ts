import { type Kysely, sql } from 'kysely'
import type { StoredAuditEvent } from '../audit/audit-event.js'
import type { UntransactedWriteGuard } from '../audit/audit-guard.js'
import { auditScope } from '../audit/audit-scope.js'
import { type AuditStore, SqlAuditStore } from '../audit/audit-store.js'
import { type FlashStore, SqlFlashStore } from '../console/flash/flash-store.js'
import type { AccessTokenStore } from '../identity/access-token-store.js'
import { type LoginSessionStore, SqlLoginSessionStore } from '../identity/login-session-store.js'
import { SqlAccessTokenStore } from '../identity/sql-access-token-store.js'
import { type SpanRunner, untraced } from '../observability/spans.js'
import { SqlStackTeamStore, type StackTeamStore } from '../rbac/stack-team-store.js'
import { type SearchIndexStore, SqlSearchIndexStore } from '../search/search-index-store.js'
import type { StackKeyStore } from '../secrets/stack-key-store.js'
import { SqlStackKeyStore } from '../secrets/stack-key-store.js'
import { SqlStackStore } from '../stacks/sql-stack-store.js'
import type { StackStore } from '../stacks/stack-store.js'
import { SqlStateStore } from '../state/sql-state-store.js'
import type { StateStore } from '../state/state-store.js'
import { SqlUpdateStore } from '../updates/sql-update-store.js'
import { SqlUpdateLogStore, type UpdateLogStore } from '../updates/update-log-store.js'
import type { UpdateStore } from '../updates/update-store.js'
import { SqlWebhookStore, type WebhookStore } from '../webhooks/webhook-store.js'
import type { Dialect } from './database.js'
import type { MetaStore } from './meta-store.js'
import { SqlMetaStore } from './meta-store.js'
import type { Database } from './schema.js'

/** The unit of work: every repository, plus `transaction` which runs work atomically over the same ports. */
export interface Store {
  readonly meta: MetaStore
  readonly accessTokens: AccessTokenStore
  readonly loginSessions: LoginSessionStore
  readonly stacks: StackStore
  readonly stackKeys: StackKeyStore
  /** Teams granted access at stack creation (`pulumi stack init --teams`). */
  readonly stackTeams: StackTeamStore
  readonly state: StateStore
  readonly updates: UpdateStore
  readonly updateLogs: UpdateLogStore
  /**
   * Runs `work` atomically. Reading a stack inside it (stacks.findById / findByRef) locks that stack until the
   * end, so read-then-write work on one stack is serialized across connections and replicas.
   */
  readonly webhooks: WebhookStore
  readonly searchIndex: SearchIndexStore
  readonly audit: AuditStore
  /** The web console's one-time messages. */
  readonly consoleFlashes: FlashStore
  transaction<T>(work: (tx: Store) => Promise<T>): Promise<T>
  /**
   * Runs `work` in a transaction that holds the update's row against every other writer, on any replica: the
   * per-update serialization of uploads, renewals and status changes. SQLite: the single writer (BEGIN
   * IMMEDIATE); PostgreSQL: the row lock (SELECT … FOR UPDATE). Keep `work` to database calls and quick CPU work.
   * Lock order, to rule out deadlocks on PostgreSQL: a transaction that also needs the update's stack row locks
   * that first (read it with `stacks.findById` in the same transaction, then call this on that transaction),
   * as stack-scope writes do; the audit chain's advisory lock always comes last (at commit).
   */
  withUpdateLock<T>(updateId: string, work: (tx: Store) => Promise<T>): Promise<T>
  /** Runs `effect` once the enclosing transaction commits (at once outside one); dropped on rollback. */
  afterCommit(effect: () => void): void
}

export class SqlStore implements Store {
  readonly meta: MetaStore
  readonly accessTokens: AccessTokenStore
  readonly loginSessions: LoginSessionStore
  readonly stacks: StackStore
  readonly stackKeys: StackKeyStore
  readonly stackTeams: StackTeamStore
  readonly state: StateStore
  readonly updates: UpdateStore
  readonly updateLogs: UpdateLogStore
  readonly webhooks: WebhookStore
  readonly searchIndex: SearchIndexStore
  readonly audit: SqlAuditStore
  readonly consoleFlashes: FlashStore

  /**
   * `effects` is set inside a transaction: what to run once it commits. `guard` (outside a transaction only)
   * watches the repositories' statements for audited changes made outside `transaction` (audit-guard.ts).
   */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly effects?: (() => void)[],
    private readonly spans: SpanRunner = untraced,
    guard?: UntransactedWriteGuard,
  ) {
    if (guard && !effects) db = db.withPlugin(guard)
    this.meta = new SqlMetaStore(db)
    this.accessTokens = new SqlAccessTokenStore(db)
    this.loginSessions = new SqlLoginSessionStore(db)
    // In a PostgreSQL transaction, reading a stack locks its row until commit (see SqlStackStore).
    this.stacks = new SqlStackStore(db, effects !== undefined && dialect === 'postgres')
    this.stackKeys = new SqlStackKeyStore(db)
    this.stackTeams = new SqlStackTeamStore(db)
    this.state = new SqlStateStore(db)
    this.updates = new SqlUpdateStore(db)
    this.updateLogs = new SqlUpdateLogStore(db)
    this.webhooks = new SqlWebhookStore(db)
    this.searchIndex = new SqlSearchIndexStore(db, dialect)
    this.audit = new SqlAuditStore(db, dialect === 'postgres')
    this.consoleFlashes = new SqlFlashStore(db)
  }

  async transaction<T>(work: (tx: Store) => Promise<T>): Promise<T> {
    // Nested calls join the outer transaction rather than deadlocking on SQLite's single connection.
    if (this.effects) return work(this)
    const effects: (() => void)[] = []
    const pending = auditScope.getStore()
    const inTransaction = async (trx: Kysely<Database>) => {
      const tx = new SqlStore(trx, this.dialect, effects, this.spans)
      const value = await work(tx)
      // The request's audit event commits with its change (audit-scope.ts), never without it.
      if (pending && !pending.written) {
        const stored: StoredAuditEvent = await tx.audit.append(pending.draft())
        // First of the after-commit effects: work they start is no longer the change this event records.
        effects.unshift(() => {
          pending.written = true
          pending.committed(stored)
        })
      }
      return value
    }
    const result = await this.spans.child('db.transaction', { 'db.system': this.dialect }, () =>
      this.dialect === 'sqlite'
        ? this.#immediateTransaction(inTransaction)
        : this.db.transaction().execute(inTransaction),
    )
    for (const effect of effects) effect()
    return result
  }

  withUpdateLock<T>(updateId: string, work: (tx: Store) => Promise<T>): Promise<T> {
    return this.transaction(async (tx) => {
      // SQLite's write lock is already held (BEGIN IMMEDIATE); other dialects lock the update's row.
      if (this.dialect === 'postgres') {
        await sql`select id from updates where id = ${updateId} for update`.execute((tx as SqlStore).db)
      }
      return work(tx)
    })
  }

  /**
   * BEGIN IMMEDIATE takes SQLite's write lock up front: a deferred transaction that reads and then writes can
   * fail with SQLITE_BUSY when another connection wrote in between, instead of waiting its turn.
   */
  async #immediateTransaction<T>(work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.db.connection().execute(async (connection) => {
      await sql`begin immediate`.execute(connection)
      try {
        const result = await work(connection)
        await sql`commit`.execute(connection)
        return result
      } catch (error) {
        await sql`rollback`.execute(connection)
        throw error
      }
    })
  }

  afterCommit(effect: () => void): void {
    if (this.effects) this.effects.push(effect)
    else effect()
  }
}
