import { readFile } from 'node:fs/promises'
import type { Logger } from 'pino'
import { capabilities } from './capabilities.js'
import type { Config } from './config/load-config.js'
import { consoleRoutes } from './console/console-routes.js'
import { openSqliteDatabase, pingDatabase } from './db/database.js'
import { SqlStore, type Store } from './db/store.js'
import { bodyLimits } from './http/body-limits.js'
import { buildHttpServer, type HttpServer, type RouteEntry } from './http/http-server.js'
import { buildManagementServer } from './http/management-server.js'
import { registerOpenApi } from './http/openapi.js'
import { type RouteDeps, registerRoutes } from './http/route-table.js'
import { composeIdentity, IdentityStartupError } from './identity/compose-identity.js'
import type { GoogleEndpoints } from './identity/google-workspace.js'
import type { IdentityService } from './identity/identity-service.js'
import { type Clock, systemClock } from './lib/clock.js'
import { silentLogger } from './observability/logger.js'
import { Metrics, statementKind } from './observability/metrics.js'
import { metricsRoutes } from './observability/metrics-routes.js'
import { countRunningUpdates } from './observability/running-updates.js'
import { OrgService } from './orgs/org-service.js'
import { RegistryService } from './registry/registry-service.js'
import { TemplateCatalog, TemplatesDirError } from './registry/template-catalog.js'
import { canaryMatches, MasterKey, makeCanary } from './secrets/master-key.js'
import { SecretsService } from './secrets/secrets-service.js'
import { StackService } from './stacks/stack-service.js'
import { StateService } from './state/state-service.js'
import { EventBuffer } from './updates/event-buffer.js'
import { startLeaseExpiryJob } from './updates/lease-expiry-job.js'
import { UpdateService } from './updates/update-service.js'

/** Replaceable externals (never our own code): time and logging. */
export interface AppOverrides {
  clock?: Clock
  logger?: Logger
  /** Google's endpoints (google auth mode), for tests that stand local servers in for them. */
  google?: Partial<GoogleEndpoints>
}

export interface App {
  http: HttpServer
  /** The -management-addr listener (health, metrics, profiling), when configured. */
  management: HttpServer | undefined
  metrics: Metrics
  /** Every registered route with its auth kind and CLI endpoint name. */
  routes: readonly RouteEntry[]
  store: Store
  identity: IdentityService
  updates: UpdateService
  /** Secrets generated on first start, to be shown to the operator once (never logged). */
  firstStart: { masterKeyHex: string | undefined; adminToken: string | undefined }
  listen(): Promise<string>
  close(): Promise<void>
}

/** A startup failure the operator can fix; main prints the message without a stack trace. */
export class StartupError extends Error {
  override name = 'StartupError'
}

const CANARY_KEY = 'master_key_canary'

/** The one composition root, used by main and by every test. */
export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const clock = overrides.clock ?? systemClock
  const logger = overrides.logger ?? silentLogger()
  const tls = config.tls && { cert: await readFile(config.tls.cert), key: await readFile(config.tls.key) }
  const metrics = new Metrics()
  const database = await openSqliteDatabase(config.db, {
    onQuery: (sqlText, ms) => metrics.query(statementKind(sqlText), ms / 1000),
  })
  metrics.trackActiveUpdates(() => countRunningUpdates(database.db))
  try {
    const store = new SqlStore(database.db)
    const { masterKey, generatedHex } = await unlockMasterKey(store, config.masterKey)

    const { identity, tokens, authenticator, login, exchange, groupsCache } = await composeIdentity(config, {
      store,
      clock,
      masterKey,
      logger,
      ...(overrides.google ? { google: overrides.google } : {}),
    }).catch((error: unknown) => {
      throw error instanceof IdentityStartupError ? new StartupError(error.message) : error
    })
    const state = new StateService({
      store,
      clock,
      config: { cacheSize: config.cacheSize, maxStateVersions: config.maxStateVersions },
      logger,
    })
    void state
      .compressBacklog()
      .catch((error: unknown) => logger.warn({ err: error }, 'state compression backlog failed'))
    const stacks = new StackService({ store, clock, state, listPageSize: config.stackListPageSize })
    const secrets = new SecretsService({ store, masterKey, clock })

    const events = new EventBuffer({
      logs: store.updateLogs,
      maxBuffered: config.eventBufferSize,
      flushIntervalMs: config.eventFlushIntervalMs,
      logger,
      onFlushed: (lagSeconds) => metrics.eventsFlushed(lagSeconds),
    })
    const updates = new UpdateService({
      store,
      clock,
      stacks,
      state,
      events,
      config: { leaseDurationMs: config.leaseDurationMs, journaling: config.journaling },
      logger,
      observer: metrics,
    })
    const registry = new RegistryService({
      catalog: config.templatesDir ? await openTemplates(config.templatesDir) : undefined,
      publisher: config.org,
    })
    const leaseExpiry = startLeaseExpiryJob(updates, config.leaseDurationMs, logger)

    const routes: RouteEntry[] = []
    const http = buildHttpServer(
      {
        logger,
        authenticator,
        trustedProxies: config.auth.trustedProxies,
        leases: { authenticate: (token, params) => updates.authenticateLease(token, params) },
        bodyLimits: bodyLimits({
          state: config.maxBodyBytes,
          journal: config.maxJournalBatchBytes,
          events: config.maxEventBatchBytes,
          secrets: config.maxSecretsBodyBytes,
          json: config.maxJsonBodyBytes,
        }),
        https: tls,
        auditLogs: config.auditLogs,
        metrics,
      },
      routes,
    )
    await registerOpenApi(http, routes)
    const routeDeps: RouteDeps = {
      identity,
      tokens,
      login,
      exchange,
      groupsCache,
      stacks,
      state,
      secrets,
      updates,
      updateStore: store.updates,
      logs: store.updateLogs,
      orgs: new OrgService({ store, clock, identity }),
      registry,
      historyPageSize: config.historyPageSize,
      capabilities: () => capabilities({ deltaCutoffBytes: config.deltaCutoffBytes }),
      ping: () => pingDatabase(database.db),
      probesElsewhere: config.management !== undefined,
    }
    registerRoutes(http, routeDeps)
    // The web console: the same services, signed in by the same authenticator.
    consoleRoutes(http, {
      ...routeDeps,
      authenticator,
      clock,
      idpLogin: login?.loginEnabled ? { providerName: login.providerName } : undefined,
    })
    const management =
      config.management &&
      buildManagementServer({
        logger,
        authenticator,
        ping: () => pingDatabase(database.db),
        metrics,
        pprof: config.management.pprof,
      })
    if (!management) metricsRoutes(http, metrics)
    const adminToken = await identity.ensureAdminToken(() => store.accessTokens.count())

    let closed = false
    return {
      http,
      management,
      metrics,
      routes,
      store,
      identity,
      updates,
      firstStart: { masterKeyHex: generatedHex, adminToken },
      async listen() {
        if (management && config.management) {
          const address = await management.listen(config.management.addr)
          logger.info({ address }, 'management listener (health, metrics, profiling) ready')
        }
        return http.listen({ host: config.addr.host, port: config.addr.port })
      },
      async close() {
        if (closed) return
        closed = true
        // Stop accepting, let in-flight requests finish, then close the database cleanly.
        leaseExpiry.stop()
        await http.close()
        await management?.close()
        await events.close()
        await state.close()
        await database.close()
      },
    }
  } catch (error) {
    await database.close()
    throw error
  }
}

async function openTemplates(dir: string): Promise<TemplateCatalog> {
  try {
    return await TemplateCatalog.open(dir)
  } catch (error) {
    if (error instanceof TemplatesDirError) throw new StartupError(error.message)
    throw error
  }
}

/**
 * The master key never touches the database; an encrypted canary does, so a wrong or missing key is caught at
 * startup instead of as undecryptable secrets later.
 */
async function unlockMasterKey(
  store: Store,
  configured: string | undefined,
): Promise<{ masterKey: MasterKey; generatedHex: string | undefined }> {
  const canary = await store.meta.get(CANARY_KEY)
  if (configured) {
    const masterKey = MasterKey.fromHex(configured)
    if (canary && !canaryMatches(masterKey, canary)) {
      throw new StartupError(
        'the configured master key does not match the one this database was created with; ' +
          'start with the original -master-key (PULUMI_BACKEND_MASTER_KEY), or secrets stored here cannot be decrypted',
      )
    }
    if (!canary) await store.meta.setIfAbsent(CANARY_KEY, makeCanary(masterKey))
    return { masterKey, generatedHex: undefined }
  }
  if (canary) {
    throw new StartupError(
      'this database is protected by a master key, but none was given; ' +
        'start with -master-key=<64 hex chars> or set PULUMI_BACKEND_MASTER_KEY to the key printed on first start',
    )
  }
  const generated = MasterKey.generate()
  await store.meta.setIfAbsent(CANARY_KEY, makeCanary(generated.key))
  return { masterKey: generated.key, generatedHex: generated.hex }
}
