import type { Logger } from 'pino'
import { type OpenedDatabase, openSqliteDatabase, type QueryListener } from './database.js'
import { openPostgresDatabase } from './postgres-database.js'

/** `-db` values that name a PostgreSQL server rather than a SQLite file. */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(target)
}

/** The -db value fit for logs: a PostgreSQL URL loses its password (and any query string, which may name keys). */
export function describeDatabase(target: string): string {
  if (!isPostgresUrl(target)) return target
  try {
    const url = new URL(target)
    if (url.password) url.password = '***'
    url.search = ''
    return url.toString()
  } catch {
    return 'postgres://(unparsable URL)'
  }
}

/** Opens the database `-db` names: a postgres:// or postgresql:// URL, or else a SQLite file path. */
export async function openDatabase(
  target: string,
  options: { maxConnections: number; logger?: Logger | undefined; onQuery?: QueryListener | undefined },
): Promise<OpenedDatabase> {
  return isPostgresUrl(target)
    ? openPostgresDatabase(target, options)
    : openSqliteDatabase(target, options.onQuery ? { onQuery: options.onQuery } : {})
}
