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
    description: 'authentication mode: single-tenant, google, oidc or jwt',
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
    flag: 'public-url',
    env: 'PULUMI_BACKEND_PUBLIC_URL',
    kind: 'string',
    default: '',
    description:
      'public base URL of this server (https://host); used for OAuth redirect URIs and login pages; required in oidc mode and in google mode with a client secret',
    secret: false,
  },
  {
    flag: 'trusted-proxies',
    env: 'PULUMI_BACKEND_TRUSTED_PROXIES',
    kind: 'string',
    default: '',
    description:
      'comma-separated IPs/CIDRs of reverse proxies allowed to set X-Forwarded-For (empty = trust none)',
    secret: false,
  },
  {
    flag: 'token-ttl',
    env: 'PULUMI_BACKEND_TOKEN_TTL',
    kind: 'duration',
    minMs: 60_000,
    default: '24h',
    description: 'lifetime of access tokens minted at browser/CLI login and by POST /api/auth/token-exchange',
    secret: false,
  },
  {
    flag: 'groups-cache-ttl',
    env: 'PULUMI_BACKEND_GROUPS_CACHE_TTL',
    kind: 'duration',
    minMs: 1000,
    maxMs: MAX_TIMER_MS,
    default: '5m',
    description: 'how long Google Workspace group memberships are cached',
    secret: false,
  },
  {
    flag: 'admin-users',
    env: 'PULUMI_BACKEND_ADMIN_USERS',
    kind: 'string',
    default: '',
    description:
      'comma-separated user logins with admin rights (admin token routes, organization tokens) in google, oidc and jwt modes (an addition of this server)',
    secret: false,
  },
  {
    flag: 'admin-groups',
    env: 'PULUMI_BACKEND_ADMIN_GROUPS',
    kind: 'string',
    default: '',
    description:
      'comma-separated groups whose members have admin rights in google, oidc and jwt modes (an addition of this server)',
    secret: false,
  },
  {
    flag: 'google-client-id',
    env: 'PULUMI_BACKEND_GOOGLE_CLIENT_ID',
    kind: 'string',
    default: '',
    description: 'Google OAuth client ID (google mode; the ID-token audience)',
    secret: false,
  },
  {
    flag: 'google-client-secret',
    env: 'PULUMI_BACKEND_GOOGLE_CLIENT_SECRET',
    kind: 'string',
    default: '',
    description: 'Google OAuth client secret; enables browser and CLI login (then -public-url is required)',
    secret: true,
  },
  {
    flag: 'google-sa-key',
    env: 'PULUMI_BACKEND_GOOGLE_SA_KEY',
    kind: 'string',
    default: '',
    description: 'service-account JSON key file for domain-wide delegation (Workspace groups)',
    secret: false,
  },
  {
    flag: 'google-sa-email',
    env: 'PULUMI_BACKEND_GOOGLE_SA_EMAIL',
    kind: 'string',
    default: '',
    description: 'service-account e-mail for keyless domain-wide delegation or admin-role mode',
    secret: false,
  },
  {
    flag: 'google-admin-email',
    env: 'PULUMI_BACKEND_GOOGLE_ADMIN_EMAIL',
    kind: 'string',
    default: '',
    description: 'Workspace admin to impersonate for domain-wide delegation (empty = admin-role mode)',
    secret: false,
  },
  {
    flag: 'google-allowed-domains',
    env: 'PULUMI_BACKEND_GOOGLE_ALLOWED_DOMAINS',
    kind: 'string',
    default: '',
    description:
      'comma-separated Workspace domains allowed to sign in (checked against the hd claim; empty = any)',
    secret: false,
  },
  {
    flag: 'google-transitive-groups',
    env: 'PULUMI_BACKEND_GOOGLE_TRANSITIVE_GROUPS',
    kind: 'bool',
    default: 'false',
    description: 'resolve nested Google groups (cycle-safe)',
    secret: false,
  },
  {
    flag: 'oidc-issuer',
    env: 'PULUMI_BACKEND_OIDC_ISSUER',
    kind: 'string',
    default: '',
    description: 'OIDC issuer URL (discovery via /.well-known/openid-configuration); required in oidc mode',
    secret: false,
  },
  {
    flag: 'oidc-client-id',
    env: 'PULUMI_BACKEND_OIDC_CLIENT_ID',
    kind: 'string',
    default: '',
    description: 'OIDC client ID; required in oidc mode',
    secret: false,
  },
  {
    flag: 'oidc-client-secret',
    env: 'PULUMI_BACKEND_OIDC_CLIENT_SECRET',
    kind: 'string',
    default: '',
    description: 'OIDC client secret; required in oidc mode',
    secret: true,
  },
  {
    flag: 'oidc-allowed-domains',
    env: 'PULUMI_BACKEND_OIDC_ALLOWED_DOMAINS',
    kind: 'string',
    default: '',
    description: 'comma-separated e-mail domains allowed to sign in (empty = any)',
    secret: false,
  },
  {
    flag: 'oidc-scopes',
    env: 'PULUMI_BACKEND_OIDC_SCOPES',
    kind: 'string',
    default: 'profile,email',
    description: 'comma-separated scopes requested besides openid',
    secret: false,
  },
  {
    flag: 'oidc-groups-claim',
    env: 'PULUMI_BACKEND_OIDC_GROUPS_CLAIM',
    kind: 'string',
    default: 'groups',
    description:
      'ID-token claim holding the groups (string array, Keycloak-style objects with name, or a comma-separated string)',
    secret: false,
  },
  {
    flag: 'oidc-username-claim',
    env: 'PULUMI_BACKEND_OIDC_USERNAME_CLAIM',
    kind: 'string',
    default: 'email',
    description: 'ID-token claim used as the user login',
    secret: false,
  },
  {
    flag: 'oidc-provider-name',
    env: 'PULUMI_BACKEND_OIDC_PROVIDER_NAME',
    kind: 'string',
    default: 'SSO',
    description: 'provider label on the login page',
    secret: false,
  },
  {
    flag: 'jwt-signing-key',
    env: 'PULUMI_BACKEND_JWT_SIGNING_KEY',
    kind: 'string',
    default: '',
    description: 'jwt mode: HMAC secret, or the path of a PEM RSA/ECDSA public key file',
    secret: true,
  },
  {
    flag: 'jwt-jwks-url',
    env: 'PULUMI_BACKEND_JWT_JWKS_URL',
    kind: 'string',
    default: '',
    description:
      'jwt mode: JWKS URL to fetch verification keys from (key rotation; an addition of this server)',
    secret: false,
  },
  {
    flag: 'jwt-issuer',
    env: 'PULUMI_BACKEND_JWT_ISSUER',
    kind: 'string',
    default: '',
    description: 'jwt mode: required iss claim (empty = not checked)',
    secret: false,
  },
  {
    flag: 'jwt-audience',
    env: 'PULUMI_BACKEND_JWT_AUDIENCE',
    kind: 'string',
    default: '',
    description: 'jwt mode: required aud claim (empty = not checked)',
    secret: false,
  },
  {
    flag: 'jwt-groups-claim',
    env: 'PULUMI_BACKEND_JWT_GROUPS_CLAIM',
    kind: 'string',
    default: 'groups',
    description: 'jwt mode: claim holding the groups',
    secret: false,
  },
  {
    flag: 'jwt-username-claim',
    env: 'PULUMI_BACKEND_JWT_USERNAME_CLAIM',
    kind: 'string',
    default: 'sub',
    description: 'jwt mode: claim used as the user login',
    secret: false,
  },
  {
    flag: 'jwt-leeway',
    env: 'PULUMI_BACKEND_JWT_LEEWAY',
    kind: 'duration',
    minMs: 0,
    default: '30s',
    description:
      'allowed clock skew when checking exp, nbf and iat of JWTs and ID tokens (an addition of this server)',
    secret: false,
  },
  {
    flag: 'token-exchange-policies',
    env: 'PULUMI_BACKEND_TOKEN_EXCHANGE_POLICIES',
    kind: 'string',
    default: '',
    description:
      'JSON file of trust policies for POST /api/oauth/token (pulumi login --oidc-token); empty = token exchange disabled (an addition of this server)',
    secret: false,
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
      'largest accepted body in bytes, raw and after gzip decompression, of checkpoints (full, verbatim, delta), ' +
      'imports and single-entry journal batches (checkpoints of large stacks are tens of MB; an addition of this ' +
      'server)',
    secret: false,
  },
  {
    flag: 'max-journal-batch-size',
    env: 'PULUMI_BACKEND_MAX_JOURNAL_BATCH_SIZE',
    kind: 'int',
    min: 1024,
    default: '16777216',
    description:
      'largest journal batch of more than one entry in bytes, after gzip decompression; the CLI splits larger ' +
      'batches by itself (an addition of this server)',
    secret: false,
  },
  {
    flag: 'max-event-batch-size',
    env: 'PULUMI_BACKEND_MAX_EVENT_BATCH_SIZE',
    kind: 'int',
    min: 1024,
    default: '67108864',
    description:
      'largest engine event batch in bytes (the CLI sends at most 50 events per batch), raw and after gzip ' +
      'decompression (an addition of this server)',
    secret: false,
  },
  {
    flag: 'max-secrets-body-size',
    env: 'PULUMI_BACKEND_MAX_SECRETS_BODY_SIZE',
    kind: 'int',
    min: 1024,
    default: '16777216',
    description:
      'largest encrypt, decrypt, batch-encrypt or batch-decrypt request in bytes (the CLI batches at most 1000 ' +
      'secrets), raw and after gzip decompression (an addition of this server)',
    secret: false,
  },
  {
    flag: 'max-json-body-size',
    env: 'PULUMI_BACKEND_MAX_JSON_BODY_SIZE',
    kind: 'int',
    min: 1024,
    default: '4194304',
    description:
      'largest body of every other request in bytes (stack and update creation with their config, tags, ' +
      'leases, completion), raw and after gzip decompression (an addition of this server)',
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
