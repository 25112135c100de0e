import { createApp, StartupError } from './app.js'
import { renderHelp } from './config/help.js'
import { ConfigError, loadConfig } from './config/load-config.js'
import { openSqliteDatabase } from './db/database.js'
import { SqlStore } from './db/store.js'
import { AccessTokenService } from './identity/access-token-service.js'
import { everyoneIsAdmin } from './identity/authenticator.js'
import { IdentityService } from './identity/identity-service.js'
import { systemClock } from './lib/clock.js'
import { createLogger } from './observability/logger.js'

const USAGE_ERROR = 2

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'token') return tokenCommand(argv.slice(1))
  const parsed = loadConfig(argv, process.env)
  if (parsed.kind === 'help') {
    process.stdout.write(
      `${renderHelp()}\n\nSub-commands:\n  token create [-name NAME] [options]   mint an access token in the database and print it\n`,
    )
    return 0
  }
  const { config } = parsed
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
  logger.info({ address, db: config.db }, 'pulumi-backend listening')

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
  const database = await openSqliteDatabase(config.db)
  try {
    const store = new SqlStore(database.db)
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
