import type { Config } from '../config/load-config.js'
import { describeDatabase, openDatabase } from '../db/open-database.js'
import { SqlStore } from '../db/store.js'
import { escKeyContext } from '../esc/org-keys.js'
import { SqlEnvironmentStore } from '../esc/sql-environment-store.js'
import { describeError } from '../lib/describe-error.js'
import { MigrationError, migrateSecretsKey, type WrappedKeySet } from './migrate-secrets-key.js'
import { keyProviderFor } from './unlock-secrets.js'

/**
 * `pulumi-backend -migrate-secrets-key -old-secrets-provider=… [-old-master-key|-old-kms-key] <new provider
 * options>`: re-wraps every stack key and ESC organization key, verifies each, moves the canary, and exits (the Go server's flags). Run it
 * with the server stopped. Returns the exit code.
 */
export async function migrateSecretsKeyCommand(
  config: Config,
  print: (line: string) => void,
): Promise<number> {
  const migrateFrom = config.secrets.migrateFrom
  if (!migrateFrom) throw new Error('no -migrate-secrets-key configuration')
  const from = keyProviderFor(migrateFrom)
  const to = keyProviderFor(config.secrets.current)
  const database = await openDatabase(config.db, { maxConnections: config.dbMaxConnections })
  try {
    const store = new SqlStore(database.db, database.dialect)
    print(
      `migrating stack and ESC keys of ${describeDatabase(config.db)}: from ${from.description} to ${to.description}`,
    )
    const esc = new SqlEnvironmentStore(database.db)
    const escKeys: WrappedKeySet = {
      label: 'ESC organization',
      page: (after, limit) => esc.pageOrgKeys(after, limit),
      replace: (org, expected, wrapped) => esc.replaceOrgKey(org, expected, wrapped),
      context: escKeyContext,
    }
    await migrateSecretsKey({
      meta: store.meta,
      stackKeys: store.stackKeys,
      otherKeys: [escKeys],
      from,
      to,
      progress: print,
    })
    return 0
  } catch (error) {
    print(
      `pulumi-backend: key migration stopped: ${error instanceof MigrationError ? error.message : describeError(error)}`,
    )
    print('Run the same command again to resume: keys already moved are skipped.')
    return 1
  } finally {
    await database.close()
  }
}
