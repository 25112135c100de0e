import type { Config } from '../config/load-config.js'
import { describeDatabase, openDatabase } from '../db/open-database.js'
import { SqlStore } from '../db/store.js'
import { describeError } from '../lib/describe-error.js'
import { MigrationError, migrateSecretsKey } from './migrate-secrets-key.js'
import { keyProviderFor } from './unlock-secrets.js'

/**
 * `pulumi-backend -migrate-secrets-key -old-secrets-provider=… [-old-master-key|-old-kms-key] <new provider
 * options>`: re-wraps every stack key, verifies each, moves the canary, and exits (the Go server's flags). Run it
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
      `migrating stack keys of ${describeDatabase(config.db)}: from ${from.description} to ${to.description}`,
    )
    await migrateSecretsKey({ meta: store.meta, stackKeys: store.stackKeys, from, to, progress: print })
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
