import type { Kysely } from 'kysely'

// Teams granted access to a stack when it was created (`pulumi stack init --teams`): one row per (stack, team),
// keyed by the stack's immutable id so a rename keeps the grant. `permission` is a level (none/read/write/admin).
// Portable DDL.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('stack_teams')
    .addColumn('stack_id', 'text', (c) => c.notNull())
    .addColumn('team', 'text', (c) => c.notNull())
    .addColumn('permission', 'text', (c) => c.notNull())
    .addColumn('granted_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('stack_teams_pk', ['stack_id', 'team'])
    .execute()
  // The teams view lists a team's stacks.
  await db.schema.createIndex('stack_teams_team').on('stack_teams').column('team').execute()
}
