import { readFile } from 'node:fs/promises'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { UntransactedWriteGuard } from './audit/audit-guard.js'
import { AuditLog } from './audit/audit-log.js'
import { AuditQueryService } from './audit/audit-query.js'
import { auditSink } from './audit/audit-sink.js'
import { BackupService } from './backups/backup-service.js'
import { configuredDestinations } from './backups/configured-destinations.js'
import { openDatabaseSnapshot } from './backups/database-snapshot.js'
import { capabilities } from './capabilities.js'
import type { Config } from './config/load-config.js'
import { consoleRoutes } from './console/console-routes.js'
import { pingDatabase } from './db/database.js'
import { describeDatabase, openDatabase } from './db/open-database.js'
import { PostgresLeaderLock } from './db/postgres-leader-lock.js'
import type { Database } from './db/schema.js'
import { SqlStore, type Store } from './db/store.js'
import { isDatabaseUnavailable } from './db/unavailable.js'
import { EnvironmentService } from './esc/environment-service.js'
import { OrgKeys } from './esc/org-keys.js'
import { SqlEnvironmentStore } from './esc/sql-environment-store.js'
import { bodyLimits } from './http/body-limits.js'
import { buildHttpServer, type HttpServer, type RouteEntry } from './http/http-server.js'
import { buildManagementServer } from './http/management-server.js'
import { registerOpenApi } from './http/openapi.js'
import { registerRateLimit } from './http/rate-limiter.js'
import { type RouteDeps, registerRoutes } from './http/route-table.js'
import { composeIdentity, IdentityStartupError } from './identity/compose-identity.js'
import type { GoogleEndpoints } from './identity/google-workspace.js'
import type { IdentityService } from './identity/identity-service.js'
import { startAuditRetentionJob } from './jobs/audit-retention-job.js'
import { JobScheduler } from './jobs/job-scheduler.js'
import { soleNode } from './jobs/leader-lock.js'
import { leaseExpiryJob } from './jobs/lease-expiry-job.js'
import { SingletonJob } from './jobs/singleton-job.js'
import { type Clock, systemClock } from './lib/clock.js'
import { silentLogger } from './observability/logger.js'
import { Metrics, statementKind } from './observability/metrics.js'
import { metricsRoutes } from './observability/metrics-routes.js'
import { countRunningUpdates } from './observability/running-updates.js'
import { OTLP_PROTOCOLS, otlpProtocol, startTracing } from './observability/tracing.js'
import { OrgService } from './orgs/org-service.js'
import { AccessControl, openAccess } from './rbac/access-control.js'
import { RbacConfigError } from './rbac/rbac-config.js'
import { RbacSource } from './rbac/rbac-source.js'
import { RegistryService } from './registry/registry-service.js'
import { TemplateCatalog, TemplatesDirError } from './registry/template-catalog.js'
import { SEARCH_INDEX_JOB, searchIndexJob } from './search/search-index-job.js'
import { SearchService } from './search/search-service.js'
import { SecretsService } from './secrets/secrets-service.js'
import { KeyCheckError, unlockSecrets } from './secrets/unlock-secrets.js'
import { allOf } from './stacks/stack-events.js'
import { StackService } from './stacks/stack-service.js'
import { StateService } from './state/state-service.js'
import { UpdateService } from './updates/update-service.js'
import { WEBHOOK_DELIVERY_JOB, webhookDeliveryJob } from './webhooks/webhook-delivery-job.js'
import { WebhookService } from './webhooks/webhook-service.js'
import { SqlWebhookStore } from './webhooks/webhook-store.js'

/** Replaceable externals (never our own code): time and logging. */
export interface AppOverrides {
  clock?: Clock
  logger?: Logger
  /** Google's endpoints (google auth mode), for tests that stand local servers in for them. */
  google?: Partial<GoogleEndpoints>
  /** Fail (instead of logging) an audited change written outside a store transaction (audit-guard.ts). */
  strictAudit?: boolean
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
  backups: BackupService
  /** -backup-schedule's once-per-period claim (run by `jobs`), when scheduled backups are on. */
  backupSchedule: SingletonJob | undefined
  /** Singleton background jobs; tests move the clock and call `jobs.runOnce()` instead of sleeping. */
  jobs: JobScheduler
  /** Access decisions with the current RBAC policy (for other front ends that must decide the same way). */
  access: AccessControl
  /** The reloadable -rbac-config, when set. */
  rbac: RbacSource | undefined
  audit: AuditLog | undefined
  /** Secrets generated on first start, to be shown to the operator once (never logged). */
  firstStart: { masterKeyHex: string | undefined; adminToken: string | undefined }
  listen(): Promise<string>
  close(): Promise<void>
}

/** A startup failure the operator can fix; main prints the message without a stack trace. */
export class StartupError extends Error {
  override name = 'StartupError'
}

/** The one composition root, used by main and by every test. */
/** Strict (tests): the statement fails. Otherwise the operator is told once per operation: a bug to report. */
function untransactedWriteGuard(logger: Logger, strict: boolean): UntransactedWriteGuard {
  const told = new Set<string>()
  return new UntransactedWriteGuard((action, statement) => {
    const message = `audited change outside a transaction: ${action} (${statement}); its audit event is written separately`
    if (strict) {
      // Tests log silently: say it on stderr too, or the failing request would show only as a 500.
      process.stderr.write(`${message}\n`)
      throw new Error(message)
    }
    if (told.has(action)) return
    told.add(action)
    logger.error({ action }, message)
  })
}

export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const clock = overrides.clock ?? systemClock
  const logger = overrides.logger ?? silentLogger()
  const tls = config.tls && { cert: await readFile(config.tls.cert), key: await readFile(config.tls.key) }
  const metrics = new Metrics()
  const database = await openDatabase(config.db, {
    maxConnections: config.dbMaxConnections,
    logger,
    onQuery: (sqlText, ms) => metrics.query(statementKind(sqlText), ms / 1000),
  }).catch((error: unknown) => {
    if (!isDatabaseUnavailable(error)) throw error
    throw new StartupError(
      `cannot reach the database ${describeDatabase(config.db)} (${(error as Error).message}); ` +
        'check -db (PULUMI_BACKEND_DB) and that the database server is up',
    )
  })
  metrics.trackActiveUpdates(() => countRunningUpdates(database.db))
  let tracing: Awaited<ReturnType<typeof startTracing>> | undefined
  try {
    if (config.otelServiceName) {
      const protocol = otlpProtocol(process.env)
      if (!(OTLP_PROTOCOLS as readonly string[]).includes(protocol)) {
        throw new StartupError(
          `OTLP protocol "${protocol}" is not supported; set OTEL_EXPORTER_OTLP_PROTOCOL to ${OTLP_PROTOCOLS.join(', ')}`,
        )
      }
      tracing = await startTracing(config.otelServiceName, process.env)
    }
    const store = new SqlStore(
      database.db,
      database.dialect,
      undefined,
      tracing,
      untransactedWriteGuard(logger, overrides.strictAudit === true),
    )
    const { keys, masterKey, generatedHex } = await unlockSecrets(store.meta, config.secrets.current).catch(
      (error: unknown) => {
        throw error instanceof KeyCheckError ? new StartupError(error.message) : error
      },
    )

    const { identity, tokens, authenticator, login, exchange, groupsCache, admins } = await composeIdentity(
      config,
      {
        store,
        clock,
        masterKey,
        logger,
        ...(overrides.google ? { google: overrides.google } : {}),
      },
    ).catch((error: unknown) => {
      throw error instanceof IdentityStartupError ? new StartupError(error.message) : error
    })
    const isKnownOrg = (org: string) => org === identity.defaultOrganization || org === identity.user
    const search = new SearchService({
      store,
      clock,
      isKnownOrg,
      stateText: (stackId, version): Promise<Buffer> => state.textAt(stackId, version),
      onQueued: () => jobs.kick(SEARCH_INDEX_JOB),
    })
    const state = new StateService({
      store,
      clock,
      config: { cacheSize: config.cacheSize, maxStateVersions: config.maxStateVersions },
      logger,
      onNewVersion: (tx, stack, version): Promise<void> => search.indexVersion(tx, stack, version),
    })
    const secrets = new SecretsService({ store, keys, clock })
    const webhooks = new WebhookService({
      store,
      clock,
      masterKey,
      sender: {
        timeoutMs: config.webhooks.timeoutMs,
        allowPrivate: config.webhooks.allowPrivate,
        maxResponseBytes: 64 * 1024,
      },
      retry: {
        maxAttempts: config.webhooks.maxAttempts,
        baseDelayMs: config.webhooks.retryDelayMs,
        maxDelayMs: 60 * 60 * 1000,
      },
      isKnownOrg,
      onQueued: () => jobs.kick(WEBHOOK_DELIVERY_JOB),
      findEnvironment: (ref) => escStore.get(ref),
    })
    const stackEvents = allOf(search, webhooks)
    const stacks = new StackService({
      store,
      clock,
      state,
      listPageSize: config.stackListPageSize,
      events: stackEvents,
    })
    // Environment changes queue their webhook events in their own transaction (the outbox).
    const escStore: SqlEnvironmentStore = new SqlEnvironmentStore(database.db, {
      inTransaction: (trx, change) =>
        webhooks.onEnvironmentEvent(new SqlWebhookStore(trx as Kysely<Database>), change),
      committed: () => webhooks.queued(),
    })
    const environments = new EnvironmentService({
      store: escStore,
      keys: new OrgKeys({ store: escStore, keys, legacy: masterKey, clock }),
      clock,
      stacks: {
        getStack: (ref) => stacks.get(ref),
        deploymentText: (stack) => state.textAt(stack.id, stack.version),
        decrypt: async (stack, ciphertext) => (await secrets.decrypt(stack.id, [ciphertext]))[0] as Buffer,
      },
      stackImports: {
        listStacks: (org, after, limit) => store.stacks.list({ org, after, limit }),
        latestUpdate: async (stackId) => (await store.updates.history(stackId, 1, 1))[0],
      },
    })

    const updates = new UpdateService({
      store,
      clock,
      stacks,
      state,
      config: { leaseDurationMs: config.leaseDurationMs, journaling: config.journaling },
      leaseKey: masterKey.derive('pulumi-backend lease tokens v1'),
      logger,
      observer: metrics,
      stackEvents,
    })
    const registry = new RegistryService({
      catalog: config.templatesDir ? await openTemplates(config.templatesDir) : undefined,
      publisher: config.org,
    })
    const backups = new BackupService({
      openSnapshot: () => openDatabaseSnapshot(config.db),
      destinations: configuredDestinations(config.backup),
      retention: config.backup.retention,
      clock,
      logger,
      observer: metrics,
    })
    // A destination that cannot work stops the start, not the first backup hours later.
    await backups.checkDestinations().catch((error: Error) => {
      throw new StartupError(error.message)
    })
    // -backup-schedule: checked every minute on the leader; the period is claimed in the database, so a restart or
    // another replica never takes the same one twice.
    const backupSchedule =
      config.backup.scheduleMs > 0
        ? new SingletonJob({
            name: 'backup',
            intervalMs: config.backup.scheduleMs,
            meta: store.meta,
            clock,
            run: () => backups.run('schedule'),
          })
        : undefined
    const backupJob = backupSchedule && {
      name: 'backup',
      intervalMs: Math.min(config.backup.scheduleMs, 60_000),
      run: () => backupSchedule.runOnce(),
    }
    const jobs = new JobScheduler({
      clock,
      // Replicas on one PostgreSQL elect one runner of the singleton jobs; SQLite serves a single node.
      leader: database.dialect === 'postgres' ? new PostgresLeaderLock(config.db, logger) : soleNode,
      logger,
      jobs: [
        leaseExpiryJob(updates, config.leaseDurationMs),
        // Versions a previous run stored uncompressed and could not compress before it stopped.
        {
          name: 'compression-backlog',
          intervalMs: 3_600_000,
          atStart: true,
          run: () => state.compressBacklog(),
        },
        ...(backupJob ? [backupJob] : []),
        webhookDeliveryJob(webhooks, config.webhooks.pollIntervalMs),
        searchIndexJob(search),
      ],
    })
    const audit = config.auditLogs
      ? new AuditLog({ store, clock, sink: auditSink(config.auditLogPath, logger), defaultOrg: config.org })
      : undefined
    const rbac = config.rbacConfig ? await openRbac(config.rbacConfig, logger, audit) : undefined
    const access = rbac ? new AccessControl(() => rbac.current(), store.stackTeams) : openAccess
    const retention = audit
      ? startAuditRetentionJob({
          store: store.audit,
          audit,
          clock,
          retentionMs: config.auditRetentionMs,
          logger,
        })
      : undefined

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
        access: { access, audit },
        metrics,
      },
      routes,
    )
    if (tracing) {
      const { describe } = tracing
      tracing.instrument(http.server)
      http.addHook('onResponse', async (request, reply) => describe(request, reply.statusCode))
    }
    await registerOpenApi(http, routes)
    registerRateLimit(http, config.rateLimitPerMinute, clock)
    const routeDeps: RouteDeps = {
      identity,
      tokens,
      login,
      exchange,
      groupsCache,
      stacks,
      state,
      secrets,
      environments,
      updates,
      updateStore: store.updates,
      logs: store.updateLogs,
      orgs: new OrgService({
        store,
        clock,
        identity,
        multiUser:
          config.auth.mode === 'single-tenant'
            ? undefined
            : { policy: () => rbac?.current(), isAdmin: (login, groups) => admins.isAdmin(login, groups) },
      }),
      registry,
      webhooks,
      search,
      historyPageSize: config.historyPageSize,
      policy: () => rbac?.current(),
      teamGrants: (org) => store.stackTeams.grantsIn(org),
      access,
      auditQuery: audit ? new AuditQueryService(store.audit) : undefined,
      capabilities: () => capabilities({ deltaCutoffBytes: config.deltaCutoffBytes }),
      ping: () => pingDatabase(database.db),
      backups,
      probesElsewhere: config.management !== undefined,
    }
    registerRoutes(http, routeDeps)
    // The web console: the same services, signed in by the same authenticator.
    consoleRoutes(http, {
      ...routeDeps,
      flashes: store.consoleFlashes,
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
    jobs.start()

    let closed = false
    return {
      http,
      management,
      metrics,
      routes,
      store,
      identity,
      updates,
      backups,
      backupSchedule,
      jobs,
      access,
      rbac,
      audit,
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
        // Start no more jobs, stop accepting, let in-flight requests finish, skip queued compressions (so a
        // running backlog job ends soon), then close the database cleanly.
        const jobsStopped = jobs.stop()
        retention?.stop()
        rbac?.close()
        await http.close()
        await management?.close()
        await state.close()
        await jobsStopped
        await database.close()
        await tracing?.shutdown()
      },
    }
  } catch (error) {
    await database.close()
    await tracing?.shutdown()
    throw error
  }
}

async function openRbac(path: string, logger: Logger, audit: AuditLog | undefined): Promise<RbacSource> {
  try {
    return await RbacSource.open(path, logger, (trigger, result) => {
      void audit
        ?.system(
          'rbacReload',
          path,
          result.ok ? 'success' : 'failure',
          result.ok ? trigger : `${trigger}: ${result.error}`,
        )
        .catch((error: unknown) => logger.error({ err: error }, 'audit event not written'))
    })
  } catch (error) {
    if (error instanceof RbacConfigError) throw new StartupError(`-rbac-config: ${error.message}`)
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
