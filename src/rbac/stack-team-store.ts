import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { StackRef } from '../stacks/stack.js'
import { isLevel, type Level } from './permission.js'

/** A team's access to one stack, granted when the stack was created (`pulumi stack init --teams`). */
export interface StackTeamGrant {
  team: string
  org: string
  project: string
  stack: string
  permission: Level
}

/** Persistence of `--teams` grants. Grants follow the stack's id: a rename keeps them, a delete removes them. */
export interface StackTeamStore {
  grant(stackId: string, teams: readonly string[], permission: Level, by: string, at: number): Promise<void>
  /** The teams granted on the stack at `ref` (empty when none or when the stack does not exist). */
  teamsOf(ref: StackRef): Promise<string[]>
  /** The teams of each of these stacks, by stack id (stacks without a grant are absent). */
  teamsOfStacks(stackIds: readonly string[]): Promise<Map<string, string[]>>
  /** Every grant on the organization's stacks, by team then stack. */
  grantsIn(org: string): Promise<StackTeamGrant[]>
}

export class SqlStackTeamStore implements StackTeamStore {
  constructor(private readonly db: Kysely<Database>) {}

  async grant(stackId: string, teams: readonly string[], permission: Level, by: string, at: number) {
    if (teams.length === 0) return
    await this.db
      .insertInto('stack_teams')
      .values(teams.map((team) => ({ stack_id: stackId, team, permission, granted_by: by, created_at: at })))
      .execute()
  }

  async teamsOf(ref: StackRef): Promise<string[]> {
    const rows = await this.db
      .selectFrom('stack_teams')
      .innerJoin('stacks', 'stacks.id', 'stack_teams.stack_id')
      .select('stack_teams.team')
      .where('stacks.org', '=', ref.org)
      .where('stacks.project', '=', ref.project)
      .where('stacks.name', '=', ref.stack)
      .execute()
    return rows.map((row) => row.team)
  }

  async teamsOfStacks(stackIds: readonly string[]): Promise<Map<string, string[]>> {
    const byStack = new Map<string, string[]>()
    if (stackIds.length === 0) return byStack
    const rows = await this.db
      .selectFrom('stack_teams')
      .select(['stack_id', 'team'])
      .where('stack_id', 'in', [...stackIds])
      .execute()
    for (const row of rows) byStack.set(row.stack_id, [...(byStack.get(row.stack_id) ?? []), row.team])
    return byStack
  }

  async grantsIn(org: string): Promise<StackTeamGrant[]> {
    const rows = await this.db
      .selectFrom('stack_teams')
      .innerJoin('stacks', 'stacks.id', 'stack_teams.stack_id')
      .select(['stack_teams.team', 'stacks.project', 'stacks.name', 'stack_teams.permission'])
      .where('stacks.org', '=', org)
      .orderBy('stack_teams.team')
      .orderBy('stacks.project')
      .orderBy('stacks.name')
      .execute()
    return rows.map((row) => ({
      team: row.team,
      org,
      project: row.project,
      stack: row.name,
      permission: isLevel(row.permission) ? row.permission : 'none',
    }))
  }
}
