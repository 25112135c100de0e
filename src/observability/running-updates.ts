import { sql } from 'kysely'
import type { Db } from '../db/database.js'

/** Running updates in the database (any replica's), for the active-updates gauge. */
export async function countRunningUpdates(db: Db): Promise<number> {
  const result = await sql<{ n: number }>`select count(*) as n from updates where status = 'running'`.execute(
    db,
  )
  return Number(result.rows[0]?.n ?? 0)
}
