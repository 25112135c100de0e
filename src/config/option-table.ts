/**
 * Every server option, on one page. Flag names, defaults and meanings match the Go server this replaces
 * (hatemosphere/pulumi-backend, `internal/config/config.go`), so existing command lines and environments keep
 * working. The env name is spelled out (not derived at runtime) so each variable can be grepped; a test checks that
 * it is always `PULUMI_BACKEND_` + the flag upper-cased with hyphens turned into underscores.
 *
 * Defaults are written as the text a user would type, and are parsed by the same code as user input, so a default
 * can never disagree with what help prints.
 */

export type OptionKind = 'string' | 'int' | 'bool' | 'duration' | 'enum'

interface OptionBase {
  /** Flag name without dashes: `-addr`, `--addr`. */
  readonly flag: string
  readonly env: string
  readonly default: string
  readonly description: string
  /** Secret values are never printed (help, logs, effective-config dumps). */
  readonly secret: boolean
}

export type OptionSpec = OptionBase &
  (
    | { readonly kind: 'string' }
    | { readonly kind: 'bool' }
    | { readonly kind: 'int'; readonly min: number }
    // Bounds in milliseconds; the upper one exists where the value ends up in a Node timer (max 2^31-1 ms).
    | { readonly kind: 'duration'; readonly minMs: number; readonly maxMs?: number }
    | { readonly kind: 'enum'; readonly values: readonly string[] }
  )

/** Largest delay Node's setTimeout/setInterval honour; longer ones fire immediately. */
const MAX_TIMER_MS = 2_147_483_647

export const OPTIONS = [
  {
    flag: 'addr',
    env: 'PULUMI_BACKEND_ADDR',
    kind: 'string',
    default: ':8080',
    description: 'listen address, [host]:port (":8080" listens on all interfaces; port 0 picks a free port)',
    secret: false,
  },
  {
    flag: 'db',
    env: 'PULUMI_BACKEND_DB',
    kind: 'string',
    default: 'pulumi-backend.db',
    description: 'SQLite database path',
    secret: false,
  },
  {
    flag: 'master-key',
    env: 'PULUMI_BACKEND_MASTER_KEY',
    kind: 'string',
    default: '',
    description:
      'hex-encoded 32-byte master key for secrets (64 hex characters); empty on a new database = generate ' +
      'one and print it once (it must then be given on every start)',
    secret: true,
  },
  {
    flag: 'org',
    env: 'PULUMI_BACKEND_ORG',
    kind: 'string',
    default: 'organization',
    description: 'default organization name',
    secret: false,
  },
  {
    flag: 'user',
    env: 'PULUMI_BACKEND_USER',
    kind: 'string',
    default: 'admin',
    description: 'default user name',
    secret: false,
  },
  {
    flag: 'tls',
    env: 'PULUMI_BACKEND_TLS',
    kind: 'bool',
    default: 'false',
    description: 'enable TLS (requires -cert and -key)',
    secret: false,
  },
  {
    flag: 'cert',
    env: 'PULUMI_BACKEND_CERT',
    kind: 'string',
    default: '',
    description: 'TLS certificate file (PEM)',
    secret: false,
  },
  {
    flag: 'key',
    env: 'PULUMI_BACKEND_KEY',
    kind: 'string',
    default: '',
    description: 'TLS private key file (PEM)',
    secret: false,
  },
  {
    flag: 'log-format',
    env: 'PULUMI_BACKEND_LOG_FORMAT',
    kind: 'enum',
    values: ['json', 'text'],
    default: 'json',
    description: 'log format',
    secret: false,
  },
  {
    flag: 'audit-logs',
    env: 'PULUMI_BACKEND_AUDIT_LOGS',
    kind: 'bool',
    default: 'true',
    description: 'enable structured audit logging',
    secret: false,
  },
  {
    flag: 'lease-duration',
    env: 'PULUMI_BACKEND_LEASE_DURATION',
    kind: 'duration',
    minMs: 1,
    default: '5m',
    description: 'update lease TTL',
    secret: false,
  },
  {
    flag: 'cache-size',
    env: 'PULUMI_BACKEND_CACHE_SIZE',
    kind: 'int',
    min: 0,
    default: '256',
    description: 'LRU cache size for deployment snapshots (entries)',
    secret: false,
  },
  {
    flag: 'delta-cutoff',
    env: 'PULUMI_BACKEND_DELTA_CUTOFF',
    kind: 'int',
    min: 0,
    default: '1048576',
    description: 'checkpoint size threshold for delta mode (bytes)',
    secret: false,
  },
  {
    flag: 'history-page-size',
    env: 'PULUMI_BACKEND_HISTORY_PAGE_SIZE',
    kind: 'int',
    min: 1,
    default: '10',
    description: 'default page size for update history',
    secret: false,
  },
  {
    flag: 'max-state-versions',
    env: 'PULUMI_BACKEND_MAX_STATE_VERSIONS',
    kind: 'int',
    min: 0,
    default: '50',
    description: 'max state versions kept per stack (0 = unlimited)',
    secret: false,
  },
  {
    flag: 'stack-list-page-size',
    env: 'PULUMI_BACKEND_STACK_LIST_PAGE_SIZE',
    kind: 'int',
    min: 1,
    default: '100',
    description: 'page size for stack listings',
    secret: false,
  },
  {
    flag: 'event-buffer-size',
    env: 'PULUMI_BACKEND_EVENT_BUFFER_SIZE',
    kind: 'int',
    min: 1,
    default: '1000',
    description: 'max buffered engine events before a forced flush',
    secret: false,
  },
  {
    flag: 'event-flush-interval',
    env: 'PULUMI_BACKEND_EVENT_FLUSH_INTERVAL',
    kind: 'duration',
    minMs: 1,
    maxMs: MAX_TIMER_MS,
    default: '1s',
    description: 'periodic engine event flush interval',
    secret: false,
  },
  {
    flag: 'auth-mode',
    env: 'PULUMI_BACKEND_AUTH_MODE',
    kind: 'enum',
    values: ['single-tenant', 'google', 'oidc', 'jwt'],
    default: 'single-tenant',
    description: 'authentication mode (this server supports only single-tenant so far)',
    secret: false,
  },
  {
    flag: 'single-tenant-token',
    env: 'PULUMI_BACKEND_SINGLE_TENANT_TOKEN',
    kind: 'string',
    default: '',
    description: 'shared access token for single-tenant mode',
    secret: true,
  },
  {
    flag: 'journaling',
    env: 'PULUMI_BACKEND_JOURNALING',
    kind: 'bool',
    default: 'true',
    description:
      'answer journalVersion 1 at update start so the CLI sends journal entries instead of full checkpoints ' +
      '(an addition of this server; the Go server has no such option)',
    secret: false,
  },
  {
    flag: 'max-body-size',
    env: 'PULUMI_BACKEND_MAX_BODY_SIZE',
    kind: 'int',
    min: 1024,
    default: '536870912',
    description:
      'largest accepted request body in bytes, after gzip decompression (checkpoints of large stacks are tens ' +
      'of MB; an addition of this server)',
    secret: false,
  },
  {
    flag: 'management-addr',
    env: 'PULUMI_BACKEND_MANAGEMENT_ADDR',
    kind: 'string',
    default: '',
    description:
      'separate listener, [host]:port, for /healthz, /readyz, /metrics (and profiling with -pprof); when set, ' +
      'the main listener no longer serves them',
    secret: false,
  },
  {
    flag: 'pprof',
    env: 'PULUMI_BACKEND_PPROF',
    kind: 'bool',
    default: 'false',
    description:
      'serve CPU profiles and heap snapshots on the management listener (requires -management-addr)',
    secret: false,
  },
  {
    flag: 'templates-dir',
    env: 'PULUMI_BACKEND_TEMPLATES_DIR',
    kind: 'string',
    default: '',
    description:
      'directory of project template folders (each with a Pulumi.yaml) offered to `pulumi new` as private ' +
      'registry templates of -org; empty = none, the CLI then offers only its public templates (an addition of ' +
      'this server)',
    secret: false,
  },
  {
    flag: 'rate-limit',
    env: 'PULUMI_BACKEND_RATE_LIMIT',
    kind: 'int',
    min: 0,
    default: '0',
    description:
      'requests a minute allowed per API token (429 with Retry-After beyond; update tokens are never limited); ' +
      '0 = no limit, the single-tenant default (Pulumi Cloud allows 600)',
    secret: false,
  },
  {
    flag: 'webhook-allow-private',
    env: 'PULUMI_BACKEND_WEBHOOK_ALLOW_PRIVATE',
    kind: 'bool',
    default: 'false',
    description: 'let webhooks reach loopback, private and link-local addresses (refused by default: SSRF)',
    secret: false,
  },
  {
    flag: 'webhook-timeout',
    env: 'PULUMI_BACKEND_WEBHOOK_TIMEOUT',
    kind: 'duration',
    minMs: 1,
    maxMs: MAX_TIMER_MS,
    default: '10s',
    description: 'how long one webhook delivery waits for an answer',
    secret: false,
  },
  {
    flag: 'webhook-max-attempts',
    env: 'PULUMI_BACKEND_WEBHOOK_MAX_ATTEMPTS',
    kind: 'int',
    min: 1,
    default: '6',
    description: 'deliveries of one webhook event before it is given up (retries back off exponentially)',
    secret: false,
  },
  {
    flag: 'webhook-retry-delay',
    env: 'PULUMI_BACKEND_WEBHOOK_RETRY_DELAY',
    kind: 'duration',
    minMs: 1,
    maxMs: MAX_TIMER_MS,
    default: '10s',
    description: 'delay before the first webhook retry; each further retry doubles it, up to 1h',
    secret: false,
  },
  {
    flag: 'webhook-poll-interval',
    env: 'PULUMI_BACKEND_WEBHOOK_POLL_INTERVAL',
    kind: 'duration',
    minMs: 1,
    maxMs: MAX_TIMER_MS,
    default: '1s',
    description: 'how often the webhook outbox is checked for due deliveries (new events are sent at once)',
    secret: false,
  },
] as const satisfies readonly OptionSpec[]

export type OptionFlag = (typeof OPTIONS)[number]['flag']

/** Flags of one kind, so the loader's typed getters reject e.g. `int('addr')` at compile time. */
export type FlagOfKind<K extends OptionKind> = Extract<(typeof OPTIONS)[number], { kind: K }>['flag']

const byFlag: ReadonlyMap<string, OptionSpec> = new Map(OPTIONS.map((o) => [o.flag, o]))

export function findOption(flag: string): OptionSpec | undefined {
  return byFlag.get(flag)
}

/** The Go server's (ff's) env naming rule; used by tests to check the table. */
export function envNameFor(flag: string): string {
  return `PULUMI_BACKEND_${flag.toUpperCase().replaceAll('-', '_')}`
}
