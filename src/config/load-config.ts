/**
 * Turns argv + environment into a validated `Config`, the way the Go server's `flag` + `ff` pair does
 * (precedence flag > env > default, Go flag and value syntax), but collecting every problem before failing so an
 * operator fixes a deployment in one round trip instead of one error per restart.
 */
import { createPublicKey } from 'node:crypto'
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs'
import { isIP } from 'node:net'
import { type FlagOfKind, findOption, OPTIONS, type OptionFlag, type OptionSpec } from './option-table.js'

export interface Config {
  addr: { host: string; port: number }
  db: string
  masterKey: string | undefined
  org: string
  user: string
  tls: { cert: string; key: string } | undefined
  logFormat: 'json' | 'text'
  auditLogs: boolean
  leaseDurationMs: number
  cacheSize: number
  deltaCutoffBytes: number
  historyPageSize: number
  maxStateVersions: number
  stackListPageSize: number
  eventBufferSize: number
  eventFlushIntervalMs: number
  journaling: boolean
  maxBodyBytes: number
  templatesDir: string | undefined
  maxJournalBatchBytes: number
  maxEventBatchBytes: number
  maxSecretsBodyBytes: number
  maxJsonBodyBytes: number
  auth: AuthConfig
  /** -management-addr: health, metrics and profiling on their own listener. */
  management: { addr: { host: string; port: number }; pprof: boolean } | undefined
}

/** Settings shared by every mode, then one variant per `-auth-mode` with only what that mode uses. */
export type AuthConfig = {
  /** Base URL for redirect URIs and login pages, without a trailing slash. */
  publicUrl: string | undefined
  trustedProxies: string[]
  tokenTtlMs: number
  adminUsers: string[]
  adminGroups: string[]
  /** Clock skew allowed on JWT / ID-token time claims. */
  leewayMs: number
  /** Trust-policy file for POST /api/oauth/token. */
  tokenExchangePolicies: string | undefined
} & (
  | { mode: 'single-tenant'; token: string | undefined }
  | {
      mode: 'oidc'
      issuer: string
      clientId: string
      clientSecret: string
      allowedDomains: string[]
      scopes: string[]
      groupsClaim: string
      usernameClaim: string
      providerName: string
    }
  | {
      mode: 'google'
      clientId: string
      clientSecret: string | undefined
      saKey: string | undefined
      saEmail: string | undefined
      adminEmail: string | undefined
      allowedDomains: string[]
      transitiveGroups: boolean
      groupsCacheTtlMs: number
    }
  | {
      mode: 'jwt'
      /** -jwt-signing-key naming an existing file is a PEM public key, otherwise an HMAC secret (as the Go server). */
      keys: { kind: 'hmac'; secret: string } | { kind: 'pem'; path: string } | { kind: 'jwks'; url: string }
      issuer: string | undefined
      audience: string | undefined
      groupsClaim: string
      usernameClaim: string
    }
)

export type ParsedArgs = { kind: 'help' } | { kind: 'config'; config: Config }

/** Every configuration problem at once; the message is meant to be printed as is (no stack trace), exit code 2. */
export class ConfigError extends Error {
  override name = 'ConfigError'
  readonly problems: string[]

  constructor(problems: string[]) {
    super(['invalid configuration:', ...problems.map((p) => `  - ${p}`)].join('\n'))
    this.problems = problems
  }
}

/**
 * Parses argv (without the node/script entries) and the environment. Returns `{kind:'help'}` when -h/-help/--help
 * is present, whatever else is wrong: someone asking for help should get it. Throws `ConfigError` otherwise.
 */
export function loadConfig(argv: readonly string[], env: Record<string, string | undefined>): ParsedArgs {
  const scan = scanArgs(argv)
  if (scan.help) return { kind: 'help' }

  const r = new Reader(scan.flags, env, scan.problems)

  const addr = r.listenAddress()
  const db = r.string('db')
  if (db === '') r.invalid('db', 'must not be empty')
  const masterKey = r.string('master-key')
  if (masterKey !== '' && !/^[0-9a-fA-F]{64}$/.test(masterKey)) {
    r.invalid('master-key', `expected 64 hex characters (a 32-byte key), got ${masterKey.length} characters`)
  }
  const org = r.ownerName('org')
  const user = r.ownerName('user')
  const tls = r.tls()
  const logFormat = r.enumValue('log-format')
  const auditLogs = r.bool('audit-logs')
  const leaseDurationMs = r.durationMs('lease-duration')
  const cacheSize = r.int('cache-size')
  const deltaCutoffBytes = r.int('delta-cutoff')
  const historyPageSize = r.int('history-page-size')
  const maxStateVersions = r.int('max-state-versions')
  const stackListPageSize = r.int('stack-list-page-size')
  const eventBufferSize = r.int('event-buffer-size')
  const eventFlushIntervalMs = r.durationMs('event-flush-interval')
  const journaling = r.bool('journaling')
  const maxBodyBytes = r.int('max-body-size')
  const templatesDir = r.string('templates-dir')
  const maxJournalBatchBytes = r.int('max-journal-batch-size')
  const maxEventBatchBytes = r.int('max-event-batch-size')
  const maxSecretsBodyBytes = r.int('max-secrets-body-size')
  const maxJsonBodyBytes = r.int('max-json-body-size')
  const auth = r.auth()
  const management = r.management()

  if (r.problems.length > 0) throw new ConfigError(r.problems)
  return {
    kind: 'config',
    config: {
      addr,
      db,
      masterKey: masterKey === '' ? undefined : masterKey,
      org,
      user,
      tls,
      logFormat,
      auditLogs,
      leaseDurationMs,
      cacheSize,
      deltaCutoffBytes,
      historyPageSize,
      maxStateVersions,
      stackListPageSize,
      eventBufferSize,
      eventFlushIntervalMs,
      journaling,
      maxBodyBytes,
      templatesDir: templatesDir === '' ? undefined : templatesDir,
      maxJournalBatchBytes,
      maxEventBatchBytes,
      maxSecretsBodyBytes,
      maxJsonBodyBytes,
      auth,
      management,
    },
  }
}

// ---------------------------------------------------------------------------------------------------------------
// argv scanning (Go `flag` syntax)

interface ArgScan {
  flags: Map<string, string>
  help: boolean
  problems: string[]
}

function scanArgs(argv: readonly string[]): ArgScan {
  const flags = new Map<string, string>()
  const problems: string[] = []
  let help = false
  let previousBool: string | undefined

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const afterBool = previousBool
    previousBool = undefined

    if (arg === '--') {
      // Go stops flag parsing here; everything after is positional, and this server takes no positionals.
      for (const rest of argv.slice(i + 1)) problems.push(positionalProblem(rest, undefined))
      break
    }
    if (arg.length < 2 || !arg.startsWith('-')) {
      problems.push(positionalProblem(arg, afterBool))
      continue
    }
    const dashes = arg.startsWith('--') ? 2 : 1
    const body = arg.slice(dashes)
    if (body === '' || body.startsWith('-') || body.startsWith('=')) {
      problems.push(`bad flag syntax: ${arg}`)
      continue
    }
    const eq = body.indexOf('=')
    const name = eq === -1 ? body : body.slice(0, eq)
    const inline = eq === -1 ? undefined : body.slice(eq + 1)

    if (name === 'help' || name === 'h') {
      help = true
      continue
    }
    const spec = findOption(name)
    if (spec === undefined) {
      problems.push(unknownFlagProblem(name))
      // Assume a following non-flag word is this flag's value: reporting it as a stray argument too would be noise
      // (and could echo a secret).
      if (inline === undefined && i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) i++
      continue
    }
    if (spec.kind === 'bool') {
      // Go: a bool flag never consumes the next argument; `-tls false` leaves "false" as a positional.
      flags.set(name, inline ?? 'true')
      if (inline === undefined) previousBool = name
      continue
    }
    if (inline !== undefined) {
      flags.set(name, inline)
      continue
    }
    if (i + 1 >= argv.length) {
      problems.push(`flag needs an argument: -${name}`)
      continue
    }
    // Go takes the next argument verbatim, even if it starts with a dash.
    i++
    flags.set(name, argv[i]!)
  }
  return { flags, help, problems }
}

function positionalProblem(arg: string, afterBool: string | undefined): string {
  if (afterBool !== undefined && 'value' in parseGoBool(arg)) {
    return `unexpected argument "${arg}": a boolean flag takes its value after "=", e.g. -${afterBool}=${arg}`
  }
  return `unexpected argument "${arg}": this server takes no positional arguments (flags look like -name=value)`
}

function unknownFlagProblem(name: string): string {
  let best: string | undefined
  let bestDistance = 3
  for (const o of OPTIONS) {
    const d = editDistance(name, o.flag)
    if (d < bestDistance) {
      best = o.flag
      bestDistance = d
    }
  }
  return best === undefined ? `unknown flag -${name}` : `unknown flag -${name} (did you mean -${best}?)`
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, substitution)
    }
    prev = cur
  }
  return prev[b.length]!
}

// ---------------------------------------------------------------------------------------------------------------
// Resolution and typed reading

interface Raw {
  text: string
  /** Where the text came from, as the operator would name it: "-addr", "PULUMI_BACKEND_ADDR", "default of -addr". */
  from: string
}

/** Each enum flag's allowed values as a literal union, e.g. EnumValues['log-format'] = 'json' | 'text'. */
type EnumValues = {
  [O in Extract<(typeof OPTIONS)[number], { kind: 'enum' }> as O['flag']]: O['values'][number]
}

class Reader {
  readonly problems: string[]
  private readonly flags: ReadonlyMap<string, string>
  private readonly env: Record<string, string | undefined>

  constructor(
    flags: ReadonlyMap<string, string>,
    env: Record<string, string | undefined>,
    problems: string[],
  ) {
    this.flags = flags
    this.env = env
    this.problems = problems
  }

  problem(message: string): void {
    this.problems.push(message)
  }

  /** Records a problem with the option's effective value; secret values are never echoed. */
  invalid(flag: OptionFlag, reason: string): void {
    const spec = specOf(flag)
    const raw = this.raw(spec)
    const shown = spec.secret ? 'value' : `value ${JSON.stringify(raw.text)}`
    this.problems.push(`invalid ${shown} for ${raw.from}: ${reason}`)
  }

  string(flag: FlagOfKind<'string'>): string {
    return this.raw(specOf(flag)).text
  }

  bool(flag: FlagOfKind<'bool'>): boolean {
    return this.parse(flag, parseGoBool)
  }

  int(flag: FlagOfKind<'int'>): number {
    const spec = specOf(flag)
    const value = this.parse(flag, parseGoInt)
    if (spec.kind === 'int' && value < spec.min) this.invalid(flag, `must be at least ${spec.min}`)
    return value
  }

  durationMs(flag: FlagOfKind<'duration'>): number {
    const spec = specOf(flag)
    // Truncate like Go's Duration.Milliseconds(); the minimum check below rejects what truncates to nothing.
    const ms = Math.trunc(this.parse(flag, parseGoDuration) / 1e6)
    if (spec.kind !== 'duration') return ms
    if (ms < spec.minMs) this.invalid(flag, `must be at least ${spec.minMs}ms`)
    else if (spec.maxMs !== undefined && ms > spec.maxMs)
      this.invalid(flag, `must be at most ${spec.maxMs}ms`)
    return ms
  }

  enumValue<F extends keyof EnumValues>(flag: F): EnumValues[F] {
    const spec = specOf(flag)
    const values: readonly string[] = spec.kind === 'enum' ? spec.values : []
    const parser = (text: string): Parsed<EnumValues[F]> =>
      values.includes(text)
        ? { value: text as EnumValues[F] }
        : { error: `expected one of ${values.join(', ')}` }
    return this.parse(flag, parser)
  }

  listenAddress(): Config['addr'] {
    const raw = this.raw(specOf('addr'))
    // The Go server treats an empty -addr as the default (startup_config.go); keep that for drop-in compatibility.
    const text = raw.text === '' ? specOf('addr').default : raw.text
    const parsed = parseListenAddress(text)
    if ('value' in parsed) return parsed.value
    this.invalid('addr', parsed.error)
    return { host: '0.0.0.0', port: 0 }
  }

  management(): Config['management'] {
    const text = this.string('management-addr')
    const pprof = this.bool('pprof')
    if (text === '') {
      // As the Go server (startup_config.go): profiling is never served on the public listener.
      if (pprof) this.problem('-pprof requires -management-addr (profiles are served only there)')
      return undefined
    }
    const parsed = parseListenAddress(text)
    if ('value' in parsed) return { addr: parsed.value, pprof }
    this.invalid('management-addr', parsed.error)
    return undefined
  }

  ownerName(flag: 'org' | 'user'): string {
    const name = this.string(flag)
    // Pulumi Cloud's owner-name rule; the CLI builds URLs from these names.
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_-]{1,38}[a-zA-Z0-9]$/.test(name)) {
      this.invalid(
        flag,
        '3-40 characters: letters, digits, "-" and "_", starting and ending with a letter or digit',
      )
    }
    return name
  }

  tls(): Config['tls'] {
    if (!this.bool('tls')) return undefined
    const cert = this.string('cert')
    const key = this.string('key')
    for (const [flag, path] of [
      ['cert', cert],
      ['key', key],
    ] as const) {
      if (path === '') {
        this.problem(`-tls requires -${flag} (or ${specOf(flag).env})`)
        continue
      }
      const why = unreadableFileReason(path)
      if (why !== undefined) this.invalid(flag, `cannot read the file: ${why}`)
    }
    return { cert, key }
  }

  /** Strings that are unset when empty. */
  optional(flag: FlagOfKind<'string'>): string | undefined {
    const value = this.string(flag)
    return value === '' ? undefined : value
  }

  /** A comma-separated list; blanks dropped. */
  list(flag: FlagOfKind<'string'>): string[] {
    return this.string(flag)
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '')
  }

  /** Requires a non-empty value in the given auth mode. */
  required(flag: FlagOfKind<'string'>, mode: string): string {
    const value = this.string(flag)
    if (value === '') this.problem(`-auth-mode=${mode} requires -${flag} (or ${specOf(flag).env})`)
    return value
  }

  httpUrl(flag: FlagOfKind<'string'>): string | undefined {
    const value = this.optional(flag)
    if (value === undefined) return undefined
    let url: URL
    try {
      url = new URL(value)
    } catch {
      this.invalid(flag, 'expected an absolute http(s) URL')
      return undefined
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      this.invalid(flag, 'expected an http or https URL')
      return undefined
    }
    return value.replace(/\/+$/, '')
  }

  /** Every auth setting, validated per mode (Go server: startup_config.go), problems collected, not thrown. */
  auth(): AuthConfig {
    const mode = this.enumValue('auth-mode')
    const trustedProxies = this.list('trusted-proxies')
    for (const entry of trustedProxies) {
      if (!isIpOrCidr(entry)) this.invalid('trusted-proxies', `"${entry}" is not an IP address or CIDR range`)
    }
    const shared = {
      publicUrl: this.httpUrl('public-url'),
      trustedProxies,
      tokenTtlMs: this.durationMs('token-ttl'),
      adminUsers: this.list('admin-users'),
      adminGroups: this.list('admin-groups'),
      leewayMs: this.durationMs('jwt-leeway'),
      tokenExchangePolicies: this.optional('token-exchange-policies'),
    }
    if (shared.tokenExchangePolicies !== undefined) {
      const why = unreadableFileReason(shared.tokenExchangePolicies)
      if (why !== undefined) this.invalid('token-exchange-policies', `cannot read the file: ${why}`)
    }
    switch (mode) {
      case 'single-tenant':
        return { ...shared, mode, token: this.optional('single-tenant-token') }
      case 'oidc': {
        const issuer = this.httpUrl('oidc-issuer')
        if (issuer === undefined && this.string('oidc-issuer') === '') this.required('oidc-issuer', mode)
        const clientId = this.required('oidc-client-id', mode)
        const clientSecret = this.required('oidc-client-secret', mode)
        if (shared.publicUrl === undefined && this.string('public-url') === '') {
          this.problem(
            '-auth-mode=oidc requires -public-url (or PULUMI_BACKEND_PUBLIC_URL) for the login redirect',
          )
        }
        return {
          ...shared,
          mode,
          issuer: issuer ?? '',
          clientId,
          clientSecret,
          allowedDomains: this.list('oidc-allowed-domains').map((d) => d.toLowerCase()),
          scopes: this.list('oidc-scopes'),
          groupsClaim: this.string('oidc-groups-claim'),
          usernameClaim: this.string('oidc-username-claim'),
          providerName: this.string('oidc-provider-name'),
        }
      }
      case 'google': {
        const clientSecret = this.optional('google-client-secret')
        if (
          clientSecret !== undefined &&
          shared.publicUrl === undefined &&
          this.string('public-url') === ''
        ) {
          this.problem(
            '-google-client-secret enables browser login, which requires -public-url (or PULUMI_BACKEND_PUBLIC_URL)',
          )
        }
        const saKey = this.optional('google-sa-key')
        if (saKey !== undefined) {
          const why = unreadableFileReason(saKey)
          if (why !== undefined) this.invalid('google-sa-key', `cannot read the file: ${why}`)
        }
        return {
          ...shared,
          mode,
          clientId: this.required('google-client-id', mode),
          clientSecret,
          saKey,
          saEmail: this.optional('google-sa-email'),
          adminEmail: this.optional('google-admin-email'),
          allowedDomains: this.list('google-allowed-domains').map((d) => d.toLowerCase()),
          transitiveGroups: this.bool('google-transitive-groups'),
          groupsCacheTtlMs: this.durationMs('groups-cache-ttl'),
        }
      }
      case 'jwt': {
        const signingKey = this.optional('jwt-signing-key')
        const jwksUrl = this.httpUrl('jwt-jwks-url')
        if (signingKey === undefined && this.string('jwt-jwks-url') === '') {
          this.problem(
            '-auth-mode=jwt requires -jwt-signing-key or -jwt-jwks-url (or their PULUMI_BACKEND_ variables)',
          )
        }
        if (signingKey !== undefined && jwksUrl !== undefined) {
          this.problem('-jwt-signing-key and -jwt-jwks-url are mutually exclusive; set one of them')
        }
        let keys: Extract<AuthConfig, { mode: 'jwt' }>['keys'] = { kind: 'hmac', secret: signingKey ?? '' }
        if (jwksUrl !== undefined) keys = { kind: 'jwks', url: jwksUrl }
        else if (signingKey !== undefined && existsSync(signingKey)) {
          keys = { kind: 'pem', path: signingKey }
          const why = publicKeyProblem(signingKey)
          if (why !== undefined) this.problem(`-jwt-signing-key names a file that is not usable: ${why}`)
        } else if (signingKey !== undefined && signingKey.length < 32) {
          this.problem(
            '-jwt-signing-key: an HMAC secret must be at least 32 characters (or name a PEM public key file)',
          )
        }
        return {
          ...shared,
          mode,
          keys,
          issuer: this.optional('jwt-issuer'),
          audience: this.optional('jwt-audience'),
          groupsClaim: this.string('jwt-groups-claim'),
          usernameClaim: this.string('jwt-username-claim'),
        }
      }
    }
  }

  private raw(spec: OptionSpec): Raw {
    const fromFlag = this.flags.get(spec.flag)
    if (fromFlag !== undefined) return { text: fromFlag, from: `-${spec.flag}` }
    // Like ff (the Go server's env loader), an empty variable counts as unset.
    const fromEnv = this.env[spec.env]
    if (fromEnv !== undefined && fromEnv !== '') return { text: fromEnv, from: spec.env }
    return { text: spec.default, from: `default of -${spec.flag}` }
  }

  private parse<T>(flag: OptionFlag, parser: (text: string) => Parsed<T>): T {
    const spec = specOf(flag)
    const parsed = parser(this.raw(spec).text)
    if ('value' in parsed) return parsed.value
    this.invalid(flag, parsed.error)
    // Keep going with the default so later checks still run; the collected problem makes the load fail anyway.
    const fallback = parser(spec.default)
    if ('value' in fallback) return fallback.value
    throw new Error(`option table default of -${flag} does not parse: ${fallback.error}`)
  }
}

function specOf(flag: OptionFlag): OptionSpec {
  const spec = findOption(flag)
  if (spec === undefined) throw new Error(`unknown option ${flag}`)
  return spec
}

function isIpOrCidr(entry: string): boolean {
  const [address, bits, ...rest] = entry.split('/')
  const family = isIP(address ?? '')
  if (family === 0 || rest.length > 0) return false
  if (bits === undefined) return true
  if (!/^[0-9]+$/.test(bits)) return false
  return Number(bits) <= (family === 4 ? 32 : 128)
}

function publicKeyProblem(path: string): string | undefined {
  try {
    const key = createPublicKey(readFileSync(path))
    if (
      key.asymmetricKeyType === 'rsa' ||
      key.asymmetricKeyType === 'rsa-pss' ||
      key.asymmetricKeyType === 'ec'
    ) {
      return undefined
    }
    return `a ${key.asymmetricKeyType ?? 'unknown'} key; use an RSA or ECDSA public key`
  } catch {
    return 'not a PEM public key (or not readable)'
  }
}

function unreadableFileReason(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return 'not a regular file'
    accessSync(path, constants.R_OK)
    return undefined
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return 'no such file'
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied'
    return code ?? String(err)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Value syntaxes (exported for tests); each mirrors the Go function the Go server uses.

export type Parsed<T> = { value: T } | { error: string }

const GO_BOOLS: ReadonlyMap<string, boolean> = new Map([
  ...['1', 't', 'T', 'TRUE', 'true', 'True'].map((s) => [s, true] as const),
  ...['0', 'f', 'F', 'FALSE', 'false', 'False'].map((s) => [s, false] as const),
])

/** strconv.ParseBool. */
export function parseGoBool(text: string): Parsed<boolean> {
  const value = GO_BOOLS.get(text)
  return value === undefined ? { error: 'expected a boolean (true, false, 1, 0, t, f)' } : { value }
}

/**
 * strconv.ParseInt(s, 0, 64), which Go's flag.Int uses: optional sign, 0x/0o/0b prefixes, a leading 0 meaning octal,
 * and "_" between digits. Values beyond JavaScript's safe integers are out of range.
 */
export function parseGoInt(text: string): Parsed<number> {
  const negative = text.startsWith('-')
  const body = negative || text.startsWith('+') ? text.slice(1) : text
  let literal: string | undefined
  if (
    /^0[xX](_?[0-9a-fA-F])+$/.test(body) ||
    /^0[bB](_?[01])+$/.test(body) ||
    /^0[oO](_?[0-7])+$/.test(body)
  ) {
    literal = body
  } else if (/^0(_?[0-7])+$/.test(body)) {
    literal = `0o${body.slice(1)}`
  } else if (/^(0|[1-9](_?[0-9])*)$/.test(body)) {
    literal = body
  }
  if (literal === undefined) return { error: 'expected an integer' }
  const big = BigInt(literal.replaceAll('_', ''))
  const value = Number(negative ? -big : big)
  if (!Number.isSafeInteger(value)) return { error: 'integer out of range' }
  // Avoid -0 leaking out of "-0".
  return { value: value === 0 ? 0 : value }
}

const UNIT_NS: ReadonlyMap<string, number> = new Map([
  ['ns', 1],
  ['us', 1e3],
  ['\u00b5s', 1e3], // micro sign
  ['\u03bcs', 1e3], // Greek mu; Go accepts both
  ['ms', 1e6],
  ['s', 1e9],
  ['m', 60e9],
  ['h', 3600e9],
])

const MAX_DURATION_NS = 2 ** 63 - 1

/** time.ParseDuration, in nanoseconds: "300ms", "1.5h", "2h45m", "-1m30s", "0". */
export function parseGoDuration(text: string): Parsed<number> {
  const invalid = { error: 'expected a duration such as 300ms, 1.5h or 2h45m (units ns, us, ms, s, m, h)' }
  const negative = text.startsWith('-')
  let rest = negative || text.startsWith('+') ? text.slice(1) : text
  // Only zero may omit the unit.
  if (rest === '0') return { value: 0 }
  if (rest === '') return invalid
  let total = 0
  while (rest !== '') {
    // Go's grammar: digits, optional "." and digits (at least one digit overall), then a unit up to the next digit/".".
    const m = /^([0-9]*)(?:\.([0-9]*))?([^0-9.]*)/.exec(rest)
    const whole = m?.[1] ?? ''
    const fraction = m?.[2] ?? ''
    const unit = m?.[3] ?? ''
    if (m === null || (whole === '' && fraction === '')) return invalid
    if (unit === '')
      return { error: 'missing unit; only 0 may be written without one (units ns, us, ms, s, m, h)' }
    const unitNs = UNIT_NS.get(unit)
    if (unitNs === undefined) return { error: `unknown unit "${unit}" (units ns, us, ms, s, m, h)` }
    total += Number(`${whole || '0'}.${fraction || '0'}`) * unitNs
    if (total > MAX_DURATION_NS) return { error: 'duration out of range' }
    rest = rest.slice(m[0].length)
  }
  return { value: negative ? -total : total }
}

/**
 * A Go listen address (net.SplitHostPort rules): ":8080", "127.0.0.1:9000", "[::1]:8080", "localhost:0".
 * An empty host means all interfaces.
 */
export function parseListenAddress(text: string): Parsed<{ host: string; port: number }> {
  let host: string
  let port: string
  if (text.startsWith('[')) {
    const close = text.indexOf(']')
    if (close === -1) return { error: 'missing "]" in address' }
    if (close === text.length - 1) return { error: 'missing port in address' }
    if (text[close + 1] !== ':') return { error: 'expected ":" after "]" in address' }
    host = text.slice(1, close)
    port = text.slice(close + 2)
    if (isIP(host) !== 6) return { error: 'brackets are only for IPv6 addresses, e.g. [::1]:8080' }
  } else {
    const colon = text.lastIndexOf(':')
    if (colon === -1) return { error: 'missing port in address; expected [host]:port, e.g. :8080' }
    host = text.slice(0, colon)
    port = text.slice(colon + 1)
    if (host.includes(':'))
      return { error: 'too many colons in address; write IPv6 hosts in brackets, e.g. [::1]:8080' }
    if (host !== '' && isIP(host) === 0 && !/^[A-Za-z0-9_.-]+$/.test(host)) {
      return { error: `invalid host "${host}"` }
    }
  }
  if (port === '') return { error: 'missing port in address' }
  if (!/^[0-9]+$/.test(port) || Number(port) > 65535)
    return { error: 'port must be a number from 0 to 65535' }
  return { value: { host: host === '' ? '0.0.0.0' : host, port: Number(port) } }
}
