import { createApp, StartupError } from './app.js'
import { verifyChain } from './audit/verify-chain.js'
import { restoreCommand } from './backups/restore-command.js'
import { renderHelp } from './config/help.js'
import { ConfigError, loadConfig } from './config/load-config.js'
import { MigrateDbError, migrateDb } from './db/migrate-db.js'
import { describeDatabase, openDatabase } from './db/open-database.js'
import { SqlStore } from './db/store.js'
import { AccessTokenService } from './identity/access-token-service.js'
import { everyoneIsAdmin } from './identity/authenticator.js'
import { IdentityService } from './identity/identity-service.js'
import { systemClock } from './lib/clock.js'
import { createLogger } from './observability/logger.js'
import { migrateSecretsKeyCommand } from './secrets/migrate-command.js'

const USAGE_ERROR = 2

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'token') return tokenCommand(argv.slice(1))
  if (argv[0] === 'restore') return restoreCommand(argv.slice(1), (line) => process.stderr.write(`${line}\n`))
  if (argv[0] === 'migrate-db') return migrateDbCommand(argv.slice(1))
  if (argv[0] === 'audit') return auditCommand(argv.slice(1))
  const parsed = loadConfig(argv, process.env)
  if (parsed.kind === 'help') {
    process.stdout.write(
      `${renderHelp()}\n\nSub-commands:\n  token create [-name NAME] [options]   mint an access token in the database and print it\n` +
        `  restore --from <file|s3://bucket/key> --to <db> [--force]   verify a backup and restore it\n` +
        `  ${MIGRATE_DB_USAGE}\n` +
        `      copy a SQLite database into PostgreSQL (or another database), then verify it\n` +
        `  audit verify [-db PATH]               check the audit log's hash chain (exit 1 when broken)\n`,
    )
    return 0
  }
  const { config } = parsed
  if (config.secrets.migrateFrom) {
    return migrateSecretsKeyCommand(config, (line) => process.stderr.write(`${line}\n`))
  }
  const logger = createLogger(config.logFormat)
  const app = await createApp(config, { logger })
  const { masterKeyHex, adminToken } = app.firstStart
  if (masterKeyHex) {
    process.stderr.write(
      `\nWARNING: no master key was configured, so one was generated for this new database.\n` +
        `Secrets are encrypted with it; without it they are lost and the server will refuse to start.\n` +
        `Persist it now (it is not stored and will not be shown again):\n\n` +
        `  PULUMI_BACKEND_MASTER_KEY=${masterKeyHex}\n\n`,
    )
  }
  if (adminToken) {
    process.stderr.write(
      `An admin access token was created (stored only as a hash; it will not be shown again):\n\n` +
        `  ${adminToken}\n\n` +
        `Log in with:  PULUMI_ACCESS_TOKEN=${adminToken} pulumi login <this server's URL>\n\n`,
    )
  }
  const address = await app.listen()
  logger.info({ address, db: describeDatabase(config.db) }, 'pulumi-backend listening')

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down: finishing in-flight requests')
      resolve()
    }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
  await app.close()
  logger.info('stopped')
  logger.flush()
  return 0
}

/** `pulumi-backend token create [-name N] [server options]`: mints a token directly in the database. */
async function tokenCommand(args: string[]): Promise<number> {
  const [verb, ...rest] = args
  if (verb !== 'create') {
    process.stderr.write('usage: pulumi-backend token create [-name NAME] [-db PATH]\n')
    return USAGE_ERROR
  }
  let name = 'cli'
  const options: string[] = []
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? ''
    const match = /^--?name(?:=(.*))?$/.exec(arg)
    if (!match) options.push(arg)
    else if (match[1] !== undefined) name = match[1]
    else name = rest[++i] ?? name
  }
  const parsed = loadConfig(options, process.env)
  if (parsed.kind === 'help') {
    process.stdout.write('usage: pulumi-backend token create [-name NAME] [-db PATH]\n')
    return 0
  }
  const { config } = parsed
  const database = await openDatabase(config.db, { maxConnections: 2 })
  try {
    const store = new SqlStore(database.db, database.dialect)
    const identity = new IdentityService({
      tokens: new AccessTokenService({
        tokens: store.accessTokens,
        clock: systemClock,
        admins: everyoneIsAdmin,
      }),
      config: { user: config.user, org: config.org, hasStaticToken: false },
    })
    process.stdout.write(`${await identity.createToken(name)}\n`)
    return 0
  } finally {
    await database.close()
  }
}

const MIGRATE_DB_USAGE = 'migrate-db --from <sqlite path> --to <postgres://…> [--force]'

/**
 * `pulumi-backend migrate-db --from <sqlite> --to <postgres://…> [--force]`: copies every row, then verifies counts
 * and hashes. Run it with the server stopped; re-running after an interruption resumes.
 */
async function migrateDbCommand(args: string[]): Promise<number> {
  const values: { from?: string; to?: string } = {}
  let force = false
  for (let i = 0; i < args.length; i++) {
    const match = /^--?(from|to|force)(?:=(.*))?$/.exec(args[i] ?? '')
    if (!match) {
      process.stderr.write(`unexpected argument ${args[i]}\nusage: pulumi-backend ${MIGRATE_DB_USAGE}\n`)
      return USAGE_ERROR
    }
    const [, name, inline] = match
    if (name === 'force') force = inline === undefined || inline === 'true'
    else values[name as 'from' | 'to'] = inline ?? args[++i]
  }
  if (!values.from || !values.to) {
    process.stderr.write(`usage: pulumi-backend ${MIGRATE_DB_USAGE}\n`)
    return USAGE_ERROR
  }
  const progress = (line: string) => process.stdout.write(`${line}\n`)
  progress(`migrating ${values.from} → ${describeDatabase(values.to)} (stop every server using either first)`)
  try {
    const tables = await migrateDb({ from: values.from, to: values.to, force, progress })
    const rows = tables.reduce((sum, t) => sum + t.rows, 0)
    progress(`done: ${rows} rows in ${tables.length} tables copied and verified`)
    progress(`start the server with -db=${describeDatabase(values.to)} and the same -master-key`)
    return 0
  } catch (error) {
    if (!(error instanceof MigrateDbError)) throw error
    process.stderr.write(`pulumi-backend migrate-db: ${error.message}\n`)
    return 1
  }
}

/** `pulumi-backend audit verify [-db PATH]`: walks the audit log's hash chain; exit 1 names the first bad event. */
async function auditCommand(args: string[]): Promise<number> {
  const [verb, ...rest] = args
  if (verb !== 'verify') {
    process.stderr.write('usage: pulumi-backend audit verify [-db PATH]\n')
    return USAGE_ERROR
  }
  const parsed = loadConfig(rest, process.env)
  if (parsed.kind === 'help') {
    process.stdout.write('usage: pulumi-backend audit verify [-db PATH]\n')
    return 0
  }
  const database = await openDatabase(parsed.config.db, { maxConnections: 1 })
  try {
    const verdict = await verifyChain(new SqlStore(database.db, database.dialect).audit)
    if (verdict.ok) {
      process.stdout.write(`audit log intact: ${verdict.events} events\n`)
      return 0
    }
    process.stdout.write(
      `audit log BROKEN at event ${verdict.seq}: ${verdict.problem} (${verdict.events} events verified before it)\n`,
    )
    return 1
  } finally {
    await database.close()
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n\nRun with -help to list every option.\n`)
      process.exitCode = USAGE_ERROR
    } else if (error instanceof StartupError) {
      process.stderr.write(`pulumi-backend: cannot start: ${error.message}\n`)
      process.exitCode = 1
    } else {
      const { code, address, port } = error as NodeJS.ErrnoException & { address?: string; port?: number }
      const message =
        code === 'EADDRINUSE'
          ? `the listen address ${address ?? ''}:${port ?? ''} is already in use (see -addr and -management-addr)`
          : String(error)
      process.stderr.write(`pulumi-backend: cannot start: ${message}\n`)
      process.exitCode = 1
    }
  },
)
