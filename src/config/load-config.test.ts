import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  type Config,
  ConfigError,
  loadConfig,
  parseGoBool,
  parseGoDuration,
  parseGoInt,
  parseListenAddress,
} from './load-config.js'

type Env = Record<string, string | undefined>

function load(argv: readonly string[], env: Env = {}): Config {
  const parsed = loadConfig(argv, env)
  assert.equal(parsed.kind, 'config')
  return parsed.config
}

function problems(argv: readonly string[], env: Env = {}): string[] {
  try {
    loadConfig(argv, env)
  } catch (err) {
    assert.ok(err instanceof ConfigError)
    return err.problems
  }
  assert.fail('expected a ConfigError')
}

const KEY = '0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef'

describe('loadConfig defaults', () => {
  it('matches the Go server defaults when nothing is set', () => {
    assert.deepEqual(load([]), {
      addr: { host: '0.0.0.0', port: 8080 },
      db: 'pulumi-backend.db',
      masterKey: undefined,
      org: 'organization',
      user: 'admin',
      tls: undefined,
      logFormat: 'json',
      auditLogs: true,
      leaseDurationMs: 300_000,
      cacheSize: 256,
      deltaCutoffBytes: 1_048_576,
      historyPageSize: 10,
      maxStateVersions: 50,
      stackListPageSize: 100,
      eventBufferSize: 1000,
      eventFlushIntervalMs: 1000,
      journaling: true,
      maxBodyBytes: 536870912,
      templatesDir: undefined,
      maxJournalBatchBytes: 16777216,
      maxEventBatchBytes: 67108864,
      maxSecretsBodyBytes: 16777216,
      maxJsonBodyBytes: 4194304,
      auth: {
        mode: 'single-tenant',
        token: undefined,
        publicUrl: undefined,
        trustedProxies: [],
        tokenTtlMs: 86_400_000,
        adminUsers: [],
        adminGroups: [],
        leewayMs: 30_000,
        tokenExchangePolicies: undefined,
      },
      management: undefined,
    })
  })

  it('ignores unrelated and empty environment variables (empty = unset, like ff)', () => {
    const c = load([], { PULUMI_BACKEND_URL: 'http://x', PULUMI_BACKEND_DB: '', HOME: '/root' })
    assert.equal(c.db, 'pulumi-backend.db')
  })
})

describe('loadConfig precedence: flag > env > default', () => {
  const env: Env = {
    PULUMI_BACKEND_DB: 'env.db',
    PULUMI_BACKEND_CACHE_SIZE: '7',
    PULUMI_BACKEND_AUDIT_LOGS: 'false',
    PULUMI_BACKEND_LEASE_DURATION: '90s',
    PULUMI_BACKEND_LOG_FORMAT: 'text',
    PULUMI_BACKEND_ORG: 'env-org',
    PULUMI_BACKEND_SINGLE_TENANT_TOKEN: 'env-token',
    PULUMI_BACKEND_MASTER_KEY: KEY,
  }

  it('env beats default', () => {
    const c = load([], env)
    assert.equal(c.db, 'env.db')
    assert.equal(c.cacheSize, 7)
    assert.equal(c.auditLogs, false)
    assert.equal(c.leaseDurationMs, 90_000)
    assert.equal(c.logFormat, 'text')
    assert.equal(c.org, 'env-org')
    assert.equal(c.auth.mode === 'single-tenant' && c.auth.token, 'env-token')
    assert.equal(c.masterKey, KEY)
    assert.equal(c.user, 'admin')
  })

  it('flag beats env', () => {
    const c = load(
      [
        '-db=flag.db',
        '-cache-size',
        '9',
        '--audit-logs=true',
        '--lease-duration',
        '2m',
        '-log-format=json',
        '-org=flag-org',
        '-single-tenant-token=flag-token',
      ],
      env,
    )
    assert.equal(c.db, 'flag.db')
    assert.equal(c.cacheSize, 9)
    assert.equal(c.auditLogs, true)
    assert.equal(c.leaseDurationMs, 120_000)
    assert.equal(c.logFormat, 'json')
    assert.equal(c.org, 'flag-org')
    assert.equal(c.auth.mode === 'single-tenant' && c.auth.token, 'flag-token')
    assert.equal(c.masterKey, KEY)
  })

  it('a flag beats env even when the env value is invalid', () => {
    assert.equal(load(['-cache-size=3'], { PULUMI_BACKEND_CACHE_SIZE: 'lots' }).cacheSize, 3)
  })

  it('the last repetition of a flag wins, as in Go', () => {
    assert.equal(load(['-db=a.db', '--db', 'b.db']).db, 'b.db')
  })
})

describe('loadConfig flag syntax', () => {
  for (const argv of [['-db=x.db'], ['-db', 'x.db'], ['--db=x.db'], ['--db', 'x.db']]) {
    it(`accepts ${argv.join(' ')}`, () => {
      assert.equal(load(argv).db, 'x.db')
    })
  }

  it('splits at the first "=" only', () => {
    const auth = load(['-single-tenant-token=a=b=']).auth
    assert.equal(auth.mode === 'single-tenant' && auth.token, 'a=b=')
  })

  it('takes the next argument verbatim even if it starts with a dash (Go flag)', () => {
    assert.equal(load(['-db', '-weird.db']).db, '-weird.db')
  })

  it('treats an empty -addr as the default, like the Go server', () => {
    assert.deepEqual(load(['-addr=']).addr, { host: '0.0.0.0', port: 8080 })
  })

  it('rejects an empty -db', () => {
    assert.deepEqual(problems(['-db=']), ['invalid value "" for -db: must not be empty'])
  })

  it('reports bad flag syntax', () => {
    assert.deepEqual(problems(['---db=x', '-=x']), ['bad flag syntax: ---db=x', 'bad flag syntax: -=x'])
  })

  it('reports a missing value', () => {
    assert.deepEqual(problems(['-db']), ['flag needs an argument: -db'])
    assert.deepEqual(problems(['--lease-duration']), ['flag needs an argument: -lease-duration'])
  })

  it('reports positional arguments, including everything after "--"', () => {
    assert.deepEqual(problems(['serve', '-', '--', '-db=x']), [
      'unexpected argument "serve": this server takes no positional arguments (flags look like -name=value)',
      'unexpected argument "-": this server takes no positional arguments (flags look like -name=value)',
      'unexpected argument "-db=x": this server takes no positional arguments (flags look like -name=value)',
    ])
  })

  it('reports unknown flags with a suggestion, without echoing their value', () => {
    assert.deepEqual(problems(['-adr=:1', '--lease-duraton', '5m', '-frobnicate', 'SECRET']), [
      'unknown flag -adr (did you mean -addr?)',
      'unknown flag -lease-duraton (did you mean -lease-duration?)',
      'unknown flag -frobnicate',
    ])
  })
})

describe('loadConfig booleans', () => {
  it('a bare bool flag means true and does not consume the next argument', () => {
    const c = load(['-audit-logs', '-db', 'x.db'], { PULUMI_BACKEND_AUDIT_LOGS: 'false' })
    assert.equal(c.auditLogs, true)
    assert.equal(c.db, 'x.db')
  })

  for (const [text, value] of [
    ['true', true],
    ['TRUE', true],
    ['True', true],
    ['t', true],
    ['T', true],
    ['1', true],
    ['false', false],
    ['FALSE', false],
    ['False', false],
    ['f', false],
    ['F', false],
    ['0', false],
  ] as const) {
    it(`reads "${text}" as ${value} from a flag and from env`, () => {
      assert.equal(load([`-journaling=${text}`]).journaling, value)
      assert.equal(load([`--journaling=${text}`]).journaling, value)
      assert.equal(load([], { PULUMI_BACKEND_JOURNALING: text }).journaling, value)
    })
  }

  it('rejects other spellings', () => {
    assert.deepEqual(problems(['-journaling=yes'], { PULUMI_BACKEND_AUDIT_LOGS: 'on' }), [
      'invalid value "on" for PULUMI_BACKEND_AUDIT_LOGS: expected a boolean (true, false, 1, 0, t, f)',
      'invalid value "yes" for -journaling: expected a boolean (true, false, 1, 0, t, f)',
    ])
    assert.deepEqual(parseGoBool(''), { error: 'expected a boolean (true, false, 1, 0, t, f)' })
    assert.ok('error' in parseGoBool('tRUE'))
  })

  it('explains "-flag false" (Go leaves "false" as a stray argument)', () => {
    assert.deepEqual(problems(['-journaling', 'false']), [
      'unexpected argument "false": a boolean flag takes its value after "=", e.g. -journaling=false',
    ])
  })
})

describe('loadConfig integers (Go strconv.ParseInt base 0)', () => {
  for (const [text, value] of [
    ['0', 0],
    ['42', 42],
    ['+42', 42],
    ['-0', 0],
    ['1_000', 1000],
    ['0x1F', 31],
    ['0X_1f', 31],
    ['0o17', 15],
    ['0O17', 15],
    ['017', 15],
    ['0_17', 15],
    ['0b101', 5],
    ['-7', -7],
    ['9007199254740991', 9007199254740991],
  ] as const) {
    it(`parses "${text}" as ${value}`, () => {
      assert.deepEqual(parseGoInt(text), { value })
    })
  }

  for (const text of [
    '',
    ' 1',
    '1 ',
    '1.5',
    '1e3',
    'abc',
    '08',
    '0x',
    '0b2',
    '_1',
    '1_',
    '1__0',
    '0x_',
    '--1',
    '12a',
  ]) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assert.deepEqual(parseGoInt(text), { error: 'expected an integer' })
    })
  }

  it('rejects integers beyond the safe range', () => {
    assert.deepEqual(parseGoInt('9007199254740993'), { error: 'integer out of range' })
    assert.deepEqual(parseGoInt('0x7fffffffffffffffff'), { error: 'integer out of range' })
  })

  it('applies each option minimum', () => {
    const c = load([
      '-cache-size=0',
      '-delta-cutoff=0',
      '-max-state-versions=0',
      '-history-page-size=1',
      '-stack-list-page-size=1',
      '-event-buffer-size=1',
    ])
    assert.equal(c.cacheSize, 0)
    assert.equal(c.deltaCutoffBytes, 0)
    assert.equal(c.maxStateVersions, 0)
    assert.equal(c.historyPageSize, 1)
    assert.equal(c.stackListPageSize, 1)
    assert.equal(c.eventBufferSize, 1)
    assert.deepEqual(
      problems([
        '-cache-size=-1',
        '-delta-cutoff=-1',
        '-history-page-size=0',
        '-max-state-versions=-1',
        '-stack-list-page-size=0',
        '-event-buffer-size=0',
      ]),
      [
        'invalid value "-1" for -cache-size: must be at least 0',
        'invalid value "-1" for -delta-cutoff: must be at least 0',
        'invalid value "0" for -history-page-size: must be at least 1',
        'invalid value "-1" for -max-state-versions: must be at least 0',
        'invalid value "0" for -stack-list-page-size: must be at least 1',
        'invalid value "0" for -event-buffer-size: must be at least 1',
      ],
    )
  })

  it('reads Go integer syntax from env too', () => {
    assert.equal(load([], { PULUMI_BACKEND_DELTA_CUTOFF: '0x100000' }).deltaCutoffBytes, 1_048_576)
  })
})

describe('loadConfig durations (Go time.ParseDuration)', () => {
  for (const [text, ns] of [
    ['0', 0],
    ['-0', 0],
    ['+0', 0],
    ['0s', 0],
    ['300ms', 300e6],
    ['1.5h', 1.5 * 3600e9],
    ['2h45m', (2 * 60 + 45) * 60e9],
    ['1m30s', 90e9],
    ['-1m30s', -90e9],
    ['+5m', 300e9],
    ['.5s', 0.5e9],
    ['1.s', 1e9],
    ['10ns', 10],
    ['7us', 7e3],
    ['7\u00b5s', 7e3],
    ['7\u03bcs', 7e3],
    ['1h1m1s1ms1us1ns', 3661e9 + 1e6 + 1e3 + 1],
  ] as const) {
    it(`parses "${text}"`, () => {
      assert.deepEqual(parseGoDuration(text), { value: ns })
    })
  }

  it('rejects malformed durations with the reason', () => {
    const invalid = 'expected a duration such as 300ms, 1.5h or 2h45m (units ns, us, ms, s, m, h)'
    for (const text of ['', '-', '.', '.s', 's', 'ms5', '+-1s']) {
      assert.deepEqual(parseGoDuration(text), { error: invalid }, text)
    }
    const missing = 'missing unit; only 0 may be written without one (units ns, us, ms, s, m, h)'
    assert.deepEqual(parseGoDuration('5'), { error: missing })
    assert.deepEqual(parseGoDuration('00'), { error: missing })
    assert.deepEqual(parseGoDuration('1h5'), { error: missing })
    assert.deepEqual(parseGoDuration('1d'), { error: 'unknown unit "d" (units ns, us, ms, s, m, h)' })
    assert.deepEqual(parseGoDuration('1 s'), { error: 'unknown unit " s" (units ns, us, ms, s, m, h)' })
    assert.deepEqual(parseGoDuration('1h-5m'), { error: 'unknown unit "h-" (units ns, us, ms, s, m, h)' })
    assert.deepEqual(parseGoDuration('3000000h'), { error: 'duration out of range' })
  })

  it('converts to whole milliseconds, truncating like Duration.Milliseconds()', () => {
    const c = load(['-lease-duration=1.5h', '-event-flush-interval', '1500us'])
    assert.equal(c.leaseDurationMs, 5_400_000)
    assert.equal(c.eventFlushIntervalMs, 1)
    assert.equal(load([], { PULUMI_BACKEND_EVENT_FLUSH_INTERVAL: '2h45m' }).eventFlushIntervalMs, 9_900_000)
  })

  it('requires positive durations and flush intervals a Node timer can hold', () => {
    assert.deepEqual(
      problems(['-lease-duration=0', '-event-flush-interval=300us'], {
        PULUMI_BACKEND_LEASE_DURATION: '5m',
      }),
      [
        'invalid value "0" for -lease-duration: must be at least 1ms',
        'invalid value "300us" for -event-flush-interval: must be at least 1ms',
      ],
    )
    assert.deepEqual(problems(['-lease-duration=-5m', '-event-flush-interval=600h']), [
      'invalid value "-5m" for -lease-duration: must be at least 1ms',
      'invalid value "600h" for -event-flush-interval: must be at most 2147483647ms',
    ])
  })
})

describe('loadConfig listen address', () => {
  for (const [text, host, port] of [
    [':8080', '0.0.0.0', 8080],
    ['127.0.0.1:9000', '127.0.0.1', 9000],
    ['[::1]:8080', '::1', 8080],
    ['[::]:80', '::', 80],
    ['localhost:0', 'localhost', 0],
    ['my-host.example.com:65535', 'my-host.example.com', 65535],
  ] as const) {
    it(`parses "${text}"`, () => {
      assert.deepEqual(load([`-addr=${text}`]).addr, { host, port })
      assert.deepEqual(load([], { PULUMI_BACKEND_ADDR: text }).addr, { host, port })
    })
  }

  it('rejects malformed addresses', () => {
    const cases: [string, string][] = [
      ['8080', 'missing port in address; expected [host]:port, e.g. :8080'],
      ['localhost', 'missing port in address; expected [host]:port, e.g. :8080'],
      ['localhost:', 'missing port in address'],
      [':65536', 'port must be a number from 0 to 65535'],
      [':-1', 'port must be a number from 0 to 65535'],
      [':http', 'port must be a number from 0 to 65535'],
      ['::1:8080', 'too many colons in address; write IPv6 hosts in brackets, e.g. [::1]:8080'],
      ['[::1]', 'missing port in address'],
      ['[::1:8080', 'missing "]" in address'],
      ['[::1]8080', 'expected ":" after "]" in address'],
      ['[127.0.0.1]:80', 'brackets are only for IPv6 addresses, e.g. [::1]:8080'],
      ['bad host:80', 'invalid host "bad host"'],
    ]
    for (const [text, error] of cases) assert.deepEqual(parseListenAddress(text), { error }, text)
    assert.deepEqual(problems(['-addr', 'localhost']), [
      'invalid value "localhost" for -addr: missing port in address; expected [host]:port, e.g. :8080',
    ])
  })
})

describe('loadConfig org and user', () => {
  it('accepts valid Pulumi owner names', () => {
    const c = load(['-org=my_org-1', '-user', 'Bob'])
    assert.equal(c.org, 'my_org-1')
    assert.equal(c.user, 'Bob')
    assert.equal(load(['-org', 'a'.repeat(40)]).org, 'a'.repeat(40))
  })

  it('rejects invalid owner names', () => {
    const rule = '3-40 characters: letters, digits, "-" and "_", starting and ending with a letter or digit'
    assert.deepEqual(problems(['-org=ab', '-user=-admin'], {}), [
      `invalid value "ab" for -org: ${rule}`,
      `invalid value "-admin" for -user: ${rule}`,
    ])
    assert.deepEqual(problems([], { PULUMI_BACKEND_ORG: 'a'.repeat(41), PULUMI_BACKEND_USER: 'a.b' }), [
      `invalid value "${'a'.repeat(41)}" for PULUMI_BACKEND_ORG: ${rule}`,
      `invalid value "a.b" for PULUMI_BACKEND_USER: ${rule}`,
    ])
    assert.equal(problems(['-org=my-org_']).length, 1)
  })
})

describe('loadConfig master key', () => {
  it('accepts 64 hex characters from a flag or env and leaves it undefined when empty', () => {
    assert.equal(load(['-master-key', KEY]).masterKey, KEY)
    assert.equal(load([], { PULUMI_BACKEND_MASTER_KEY: KEY }).masterKey, KEY)
    assert.equal(load(['-master-key=']).masterKey, undefined)
  })

  it('rejects wrong lengths and non-hex text without echoing the key', () => {
    const short = KEY.slice(1)
    const nonHex = `${KEY.slice(0, 63)}g`
    const got = problems([`-master-key=${short}`])
    assert.deepEqual(got, [
      'invalid value for -master-key: expected 64 hex characters (a 32-byte key), got 63 characters',
    ])
    const fromEnv = problems([], { PULUMI_BACKEND_MASTER_KEY: nonHex })
    assert.deepEqual(fromEnv, [
      'invalid value for PULUMI_BACKEND_MASTER_KEY: expected 64 hex characters (a 32-byte key), got 64 characters',
    ])
    for (const p of [...got, ...fromEnv]) assert.ok(!p.includes(KEY.slice(1, 20)))
  })
})

describe('loadConfig TLS', () => {
  let dir = ''
  let cert = ''
  let key = ''
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'config-test-'))
    cert = join(dir, 'cert.pem')
    key = join(dir, 'key.pem')
    writeFileSync(cert, 'cert')
    writeFileSync(key, 'key')
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('is off by default and ignores -cert/-key then, like the Go server', () => {
    assert.equal(load(['-cert=/nope', '-key=/nope']).tls, undefined)
  })

  it('returns both paths when -tls is on and the files are readable', () => {
    assert.deepEqual(load(['-tls', '-cert', cert, '--key', key]).tls, { cert, key })
    assert.deepEqual(
      load([], { PULUMI_BACKEND_TLS: '1', PULUMI_BACKEND_CERT: cert, PULUMI_BACKEND_KEY: key }).tls,
      {
        cert,
        key,
      },
    )
  })

  it('reports both missing cert and key', () => {
    assert.deepEqual(problems(['-tls']), [
      '-tls requires -cert (or PULUMI_BACKEND_CERT)',
      '-tls requires -key (or PULUMI_BACKEND_KEY)',
    ])
    assert.deepEqual(problems(['-tls=true', `-cert=${cert}`]), ['-tls requires -key (or PULUMI_BACKEND_KEY)'])
  })

  it('reports files that do not exist or are not regular files', () => {
    const missing = join(dir, 'missing.pem')
    assert.deepEqual(problems(['-tls', `-cert=${missing}`], { PULUMI_BACKEND_KEY: dir }), [
      `invalid value ${JSON.stringify(missing)} for -cert: cannot read the file: no such file`,
      `invalid value ${JSON.stringify(dir)} for PULUMI_BACKEND_KEY: cannot read the file: not a regular file`,
    ])
  })
})

describe('loadConfig auth', () => {
  it('lists every missing setting of a mode at once (Go: startup_config.go)', () => {
    assert.deepEqual(problems(['-auth-mode=oidc']), [
      '-auth-mode=oidc requires -oidc-issuer (or PULUMI_BACKEND_OIDC_ISSUER)',
      '-auth-mode=oidc requires -oidc-client-id (or PULUMI_BACKEND_OIDC_CLIENT_ID)',
      '-auth-mode=oidc requires -oidc-client-secret (or PULUMI_BACKEND_OIDC_CLIENT_SECRET)',
      '-auth-mode=oidc requires -public-url (or PULUMI_BACKEND_PUBLIC_URL) for the login redirect',
    ])
    assert.deepEqual(problems([], { PULUMI_BACKEND_AUTH_MODE: 'google' }), [
      '-auth-mode=google requires -google-client-id (or PULUMI_BACKEND_GOOGLE_CLIENT_ID)',
    ])
    assert.deepEqual(problems(['-auth-mode=google', '-google-client-id=x', '-google-client-secret=s']), [
      '-google-client-secret enables browser login, which requires -public-url (or PULUMI_BACKEND_PUBLIC_URL)',
    ])
    assert.deepEqual(problems(['-auth-mode=jwt']), [
      '-auth-mode=jwt requires -jwt-signing-key or -jwt-jwks-url (or their PULUMI_BACKEND_ variables)',
    ])
  })

  it('validates URLs, proxies, key sources and secrets without echoing secrets', () => {
    assert.deepEqual(
      problems([
        '-auth-mode=jwt',
        '-jwt-signing-key=short',
        '-jwt-jwks-url=ftp://keys',
        '-trusted-proxies=10.0.0.0/8, 300.1.1.1,::1/129',
        '-public-url=not a url',
      ]),
      [
        'invalid value "10.0.0.0/8, 300.1.1.1,::1/129" for -trusted-proxies: "300.1.1.1" is not an IP address or CIDR range',
        'invalid value "10.0.0.0/8, 300.1.1.1,::1/129" for -trusted-proxies: "::1/129" is not an IP address or CIDR range',
        'invalid value "not a url" for -public-url: expected an absolute http(s) URL',
        'invalid value "ftp://keys" for -jwt-jwks-url: expected an http or https URL',
        '-jwt-signing-key: an HMAC secret must be at least 32 characters (or name a PEM public key file)',
      ],
    )
  })

  it('reads a complete oidc configuration', () => {
    const auth = load([
      '-auth-mode=oidc',
      '-oidc-issuer=https://id.example.com/realms/x/',
      '-oidc-client-id=backend',
      '-oidc-client-secret=s',
      '-oidc-allowed-domains=Example.com, corp.example',
      '-public-url=https://pulumi.example.com/',
      '-admin-groups=ops',
    ]).auth
    assert.equal(auth.mode, 'oidc')
    if (auth.mode !== 'oidc') return
    assert.equal(auth.issuer, 'https://id.example.com/realms/x')
    assert.equal(auth.publicUrl, 'https://pulumi.example.com')
    assert.deepEqual(auth.allowedDomains, ['example.com', 'corp.example'])
    assert.deepEqual(auth.scopes, ['profile', 'email'])
    assert.deepEqual(auth.adminGroups, ['ops'])
    assert.equal(auth.usernameClaim, 'email')
  })

  it('accepts single-tenant with or without a token', () => {
    assert.deepEqual(load(['-auth-mode', 'single-tenant']).auth.mode, 'single-tenant')
    const auth = load(['-single-tenant-token=s3cret']).auth
    assert.equal(auth.mode === 'single-tenant' && auth.token, 's3cret')
  })

  it('rejects unknown modes and log formats, listing the choices', () => {
    assert.deepEqual(problems(['-auth-mode=saml', '-log-format=JSON']), [
      'invalid value "JSON" for -log-format: expected one of json, text',
      'invalid value "saml" for -auth-mode: expected one of single-tenant, google, oidc, jwt',
    ])
  })
})

describe('loadConfig help', () => {
  for (const flag of ['-h', '-help', '--help', '--h', '-help=true']) {
    it(`returns help for ${flag}, whatever else is wrong`, () => {
      assert.deepEqual(loadConfig(['-nope', flag, '-cache-size=x'], { PULUMI_BACKEND_TLS: 'x' }), {
        kind: 'help',
      })
    })
  }
})

describe('loadConfig collects every problem at once', () => {
  it('reports argv and env problems together in one ConfigError', () => {
    const argv = [
      'extra',
      '-bogus=1',
      '-cache-size=many',
      '-lease-duration=5',
      '-log-format=xml',
      '-auth-mode=oidc',
      '-master-key=abc',
      '-tls',
      '-addr=:99999',
      '-org=x',
      '-history-page-size',
    ]
    const env = { PULUMI_BACKEND_EVENT_FLUSH_INTERVAL: '1d', PULUMI_BACKEND_JOURNALING: 'yes' }
    let error: unknown
    try {
      loadConfig(argv, env)
    } catch (err) {
      error = err
    }
    assert.ok(error instanceof ConfigError)
    const expected = [
      'unexpected argument "extra": this server takes no positional arguments (flags look like -name=value)',
      'unknown flag -bogus',
      'flag needs an argument: -history-page-size',
      'invalid value ":99999" for -addr: port must be a number from 0 to 65535',
      'invalid value for -master-key: expected 64 hex characters (a 32-byte key), got 3 characters',
      'invalid value "x" for -org: 3-40 characters: letters, digits, "-" and "_", starting and ending with a letter or digit',
      '-tls requires -cert (or PULUMI_BACKEND_CERT)',
      '-tls requires -key (or PULUMI_BACKEND_KEY)',
      'invalid value "xml" for -log-format: expected one of json, text',
      'invalid value "5" for -lease-duration: missing unit; only 0 may be written without one (units ns, us, ms, s, m, h)',
      'invalid value "many" for -cache-size: expected an integer',
      'invalid value "1d" for PULUMI_BACKEND_EVENT_FLUSH_INTERVAL: unknown unit "d" (units ns, us, ms, s, m, h)',
      'invalid value "yes" for PULUMI_BACKEND_JOURNALING: expected a boolean (true, false, 1, 0, t, f)',
      '-auth-mode=oidc requires -oidc-issuer (or PULUMI_BACKEND_OIDC_ISSUER)',
      '-auth-mode=oidc requires -oidc-client-id (or PULUMI_BACKEND_OIDC_CLIENT_ID)',
      '-auth-mode=oidc requires -oidc-client-secret (or PULUMI_BACKEND_OIDC_CLIENT_SECRET)',
      '-auth-mode=oidc requires -public-url (or PULUMI_BACKEND_PUBLIC_URL) for the login redirect',
    ]
    assert.deepEqual(error.problems, expected)
    assert.equal(error.name, 'ConfigError')
    assert.equal(error.message, ['invalid configuration:', ...expected.map((p) => `  - ${p}`)].join('\n'))
  })
})
