import type { Database } from '../db/schema.js'
import type { EscTables } from '../esc/sql-environment-store.js'

/**
 * Every table a backup holds, in restore order, with the key its rows are read in (a stable order makes two
 * backups of the same data byte-identical before compression). `satisfies` makes a new table in the schema a
 * compile error here until it is listed, so a backup can never silently leave one out.
 */
const TABLE_KEYS = {
  meta: ['key'],
  access_tokens: ['id'],
  stacks: ['id'],
  stack_keys: ['stack_id'],
  stack_teams: ['stack_id', 'team'],
  state_versions: ['stack_id', 'version'],
  updates: ['id'],
  journal_entries: ['update_id', 'sequence_id'],
  checkpoint_log: ['update_id', 'position'],
  engine_events: ['update_id', 'sequence'],
  login_sessions: ['id'],
  esc_org_keys: ['org'],
  esc_environments: ['id'],
  esc_revisions: ['environment_id', 'revision'],
  esc_revision_tags: ['environment_id', 'name'],
  esc_environment_tags: ['environment_id', 'name'],
  esc_open_sessions: ['id'],
  webhooks: ['id'],
  webhook_events: ['id'],
  webhook_deliveries: ['id'],
  search_resources: ['stack_id', 'urn'],
  search_index_queue: ['stack_id'],
  audit_events: ['seq'],
  console_flashes: ['id'],
} as const satisfies Record<keyof Database | keyof EscTables, readonly string[]>

export type BackupTable = keyof typeof TABLE_KEYS

export const BACKUP_TABLES = Object.keys(TABLE_KEYS) as BackupTable[]

export function tableKey(table: BackupTable): readonly string[] {
  return TABLE_KEYS[table]
}

export function isBackupTable(name: string): name is BackupTable {
  return Object.hasOwn(TABLE_KEYS, name)
}
