import type { Kysely } from 'kysely'
import type { AccessTokenStore } from '../identity/access-token-store.js'
import { type LoginSessionStore, SqlLoginSessionStore } from '../identity/login-session-store.js'
import { SqlAccessTokenStore } from '../identity/sql-access-token-store.js'
import type { StackKeyStore } from '../secrets/stack-key-store.js'
import { SqlStackKeyStore } from '../secrets/stack-key-store.js'
import { SqlStackStore } from '../stacks/sql-stack-store.js'
import type { StackStore } from '../stacks/stack-store.js'
import { SqlStateStore } from '../state/sql-state-store.js'
import type { StateStore } from '../state/state-store.js'
import { SqlUpdateStore } from '../updates/sql-update-store.js'
import { SqlUpdateLogStore, type UpdateLogStore } from '../updates/update-log-store.js'
import type { UpdateStore } from '../updates/update-store.js'
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
  readonly state: StateStore
  readonly updates: UpdateStore
  readonly updateLogs: UpdateLogStore
  transaction<T>(work: (tx: Store) => Promise<T>): Promise<T>
  /** Runs `effect` once the enclosing transaction commits (at once outside one); dropped on rollback. */
  afterCommit(effect: () => void): void
}

export class SqlStore implements Store {
  readonly meta: MetaStore
  readonly accessTokens: AccessTokenStore
  readonly loginSessions: LoginSessionStore
  readonly stacks: StackStore
  readonly stackKeys: StackKeyStore
  readonly state: StateStore
  readonly updates: UpdateStore
  readonly updateLogs: UpdateLogStore

  /** `effects` is set inside a transaction: what to run once it commits. */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly effects?: (() => void)[],
  ) {
    this.meta = new SqlMetaStore(db)
    this.accessTokens = new SqlAccessTokenStore(db)
    this.loginSessions = new SqlLoginSessionStore(db)
    this.stacks = new SqlStackStore(db)
    this.stackKeys = new SqlStackKeyStore(db)
    this.state = new SqlStateStore(db)
    this.updates = new SqlUpdateStore(db)
    this.updateLogs = new SqlUpdateLogStore(db)
  }

  async transaction<T>(work: (tx: Store) => Promise<T>): Promise<T> {
    // Nested calls join the outer transaction rather than deadlocking on SQLite's single connection.
    if (this.effects) return work(this)
    const effects: (() => void)[] = []
    const result = await this.db.transaction().execute((trx) => work(new SqlStore(trx, effects)))
    for (const effect of effects) effect()
    return result
  }

  afterCommit(effect: () => void): void {
    if (this.effects) this.effects.push(effect)
    else effect()
  }
}
