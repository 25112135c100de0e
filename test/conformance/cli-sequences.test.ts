// Replays protocol §10's request sequences for the stack commands, request by request as the CLI sends them
// (method, path, query, headers, gzip), and reads every answer the way the CLI parses it.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { assertApiError } from '../support/assert-api-error.js'
import { type Capabilities, parseCapabilities } from '../support/capabilities.js'
import type { CallOptions, CliClient, CliResponse } from '../support/cli-client.js'
import { type TestServer, useTestServer } from '../support/test-server.js'

const SIG = '4dabf18193072939515e22adb298388d'
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270'
// sdk/go/common/tokens/stack_name.go :: ParseStackName (an invalid name in a listing panics the CLI).
const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/
const b64 = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64')

interface Secret {
  [SIG]: typeof SECRET_SIG
  ciphertext: string
}
interface Resource {
  urn: string
  type: string
  custom: boolean
  outputs?: Record<string, unknown>
}
interface Untyped {
  version: number
  features?: string[]
  deployment: { manifest: unknown; secrets_providers?: unknown; resources?: Resource[] }
}

/** url.Values.Encode as go-querystring uses it: only set keys, sorted (client.go :: ListStacks). */
function goQuery(values: Record<string, string | undefined>): string {
  const entries = Object.entries(values)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1))
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries)}`
}

/** pkg/resource/stack/deployment.go :: DeserializeUntypedDeployment's checks on what the server returns. */
function assertDeserializable(body: unknown): asserts body is Untyped {
  const untyped = body as Untyped
  assert.ok(untyped.version >= 1 && untyped.version <= 4, `deployment version ${untyped.version}`)
  assert.equal(typeof untyped.deployment, 'object')
  assert.ok(untyped.deployment !== null && !Array.isArray(untyped.deployment))
  assert.ok('manifest' in untyped.deployment)
}

/**
 * One CLI invocation: its User-Agent names the cobra command (api.go :: UserAgent, `cmd=stack-init`), and every
 * request is recorded so a sequence can be compared with §10.
 */
class Invocation {
  readonly calls: string[] = []
  constructor(
    private readonly cli: CliClient,
    readonly command: string,
    readonly user = 'alice',
  ) {}

  call<T = Record<string, unknown>>(method: string, path: string, options: CallOptions = {}) {
    this.calls.push(`${method} ${path.replace(/\?.*$/, '')}`)
    return this.cli.call<T>(method, path, { command: this.command, ...options })
  }

  /** PRE.1 (backend.go :: New): capabilities ∥ default organization; parsing a stack name waits for the org. */
  async pre(): Promise<{ capabilities: Capabilities; defaultOrg: string }> {
    const [capabilities, org] = await Promise.all([
      this.call('GET', '/api/capabilities'),
      this.call<{ GitHubLogin?: string }>('GET', '/api/user/organizations/default'),
    ])
    // Decoded case-insensitively into GetDefaultOrganizationResponse; "" falls back to the user's login.
    return {
      capabilities: parseCapabilities(capabilities.body),
      defaultOrg: org.body.GitHubLogin || this.user,
    }
  }

  /** GET {S} (RequireStack), read as apitype.Stack. */
  async getStack(path: string) {
    const stack = await this.call<{
      orgName: string
      projectName: string
      stackName: string
      tags: Record<string, string>
      version: number
      activeUpdate: string
      config?: unknown
    }>('GET', path)
    // stack.go :: newStack builds the reference from these; a bad name panics.
    assert.ok(stack.body.orgName && stack.body.projectName)
    assert.match(stack.body.stackName, STACK_NAME)
    assert.equal(typeof stack.body.activeUpdate, 'string')
    assert.equal(stack.body.config, undefined, 'any config makes the CLI assume remote ESC config')
    return stack.body
  }

  /**
   * SM (manager.go :: newServiceCrypter probes capabilities; SecretsManagerLoader then encrypts a random 32-byte
   * log key, pkg/engine/encryptedlog/writer.go :: PrepareKey).
   */
  async secretsManager(path: string, options: { logKey: boolean }): Promise<Capabilities> {
    const capabilities = parseCapabilities((await this.call('GET', '/api/capabilities')).body)
    if (options.logKey) {
      const key = await this.call<{ ciphertext: string }>('POST', `${path}/encrypt`, {
        body: { plaintext: b64(randomBytes(32)) },
      })
      assert.ok(key.body.ciphertext.length > 0)
    }
    return capabilities
  }

  /** serviceCrypter.BatchDecrypt: asserts every requested ciphertext is a key of the answer. */
  async batchDecrypt(path: string, ciphertexts: string[]): Promise<string[]> {
    if (ciphertexts.length === 0) return []
    const response = await this.call<{ plaintexts: Record<string, string> }>(
      'POST',
      `${path}/batch-decrypt`,
      {
        body: { ciphertexts },
        gzip: true,
      },
    )
    return ciphertexts.map((c) => {
      const plaintext = response.body.plaintexts[c]
      assert.ok(plaintext !== undefined, 'decrypted value not found in batch response (a CLI panic)')
      return Buffer.from(plaintext, 'base64').toString('utf8')
    })
  }

  /** serviceCrypter.BatchEncrypt: batch-encrypt when advertised, else one /encrypt each (config.DefaultBatchEncrypt). */
  async batchEncrypt(path: string, plaintexts: string[], capabilities: Capabilities): Promise<string[]> {
    if (capabilities.batchEncryption) {
      const response = await this.call<{ ciphertexts: string[] }>('POST', `${path}/batch-encrypt`, {
        body: { plaintexts: plaintexts.map((p) => b64(p)) },
        gzip: true,
      })
      assert.equal(response.body.ciphertexts.length, plaintexts.length)
      return response.body.ciphertexts
    }
    const out: string[] = []
    for (const p of plaintexts) {
      const r = await this.call<{ ciphertext: string }>('POST', `${path}/encrypt`, {
        body: { plaintext: b64(p) },
      })
      out.push(r.body.ciphertext)
    }
    return out
  }

  /** E3 + E4: import (gzip, not retried), then poll without sleeping until continuationToken is null. */
  async importAndWait(path: string, deployment: Untyped): Promise<void> {
    const imported = await this.call<{ updateId?: string; updateID?: string }>('POST', `${path}/import`, {
      body: deployment,
      gzip: true,
    })
    // apitype.ImportStackResponse decodes "updateId"; Go's case-insensitive match would also take "updateID",
    // but the exact key is what other clients rely on.
    const updateId = imported.body.updateId
    assert.ok(updateId, 'response key must be updateId')
    let token: string | undefined
    for (let polls = 0; ; polls++) {
      assert.ok(polls < 100, 'import never finished')
      // client.go :: GetUpdateEvents appends the token raw; the path always says "update".
      const results = await this.call<{ status: string; continuationToken?: string | null }>(
        'GET',
        `${path}/update/${updateId}${token === undefined ? '' : `?continuationToken=${token}`}`,
      )
      if (results.body.continuationToken === null || results.body.continuationToken === undefined) {
        assert.equal(results.body.status, 'succeeded', 'else: import unsuccessful: status …')
        return
      }
      assert.notEqual(results.body.continuationToken, '')
      token = results.body.continuationToken
    }
  }
}

/** Every secret object in a deployment, in document order. */
function secretsIn(value: unknown, out: Secret[] = []): Secret[] {
  if (Array.isArray(value)) for (const v of value) secretsIn(v, out)
  else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>
    if (record[SIG] === SECRET_SIG && typeof record.ciphertext === 'string')
      out.push(record as unknown as Secret)
    else for (const v of Object.values(record)) secretsIn(v, out)
  }
  return out
}

describe('CLI request sequences (protocol §10)', () => {
  let server: TestServer
  let cli: CliClient
  const S = '/api/stacks/acme/web/dev'
  useTestServer({ args: ['-stack-list-page-size=2'] }, (started) => {
    server = started
    cli = started.client
  })

  const run = (command: string) => new Invocation(cli, command)

  it('login + whoami touch exactly /api/user, /api/capabilities and the default org', async () => {
    // tests/login/login_test.go :: TestInsecureLogin fails on any other path.
    const login = run('login')
    const user = await login.call<{ githubLogin: string; organizations: { githubLogin: string }[] }>(
      'GET',
      '/api/user',
    )
    // client.go :: GetPulumiAccountDetails: "unexpected response from server" otherwise.
    assert.ok(user.body.githubLogin)
    assert.ok(user.body.organizations.every((o) => o.githubLogin))
    const { defaultOrg } = await login.pre()
    assert.equal(defaultOrg, 'acme')
    const whoami = run('whoami')
    await whoami.pre()
    assert.deepEqual([...new Set([...login.calls, ...whoami.calls])].sort(), [
      'GET /api/capabilities',
      'GET /api/user',
      'GET /api/user/organizations/default',
    ])
  })

  it('stack init: GET stack answers 404, then POST creates it; a second init is "already exists"', async () => {
    const init = run('stack-init')
    const { defaultOrg } = await init.pre()
    const path = `/api/stacks/${defaultOrg}/web/dev`
    // pkg/cmd/pulumi/stack/secrets.go :: readStackConfiguration expects "not found" before creating.
    await assertApiError(init.call('GET', path), 404)
    const created = await init.call('POST', `/api/stacks/${defaultOrg}/web`, {
      body: {
        stackName: 'dev',
        tags: { 'pulumi:project': 'web', 'pulumi:runtime': 'nodejs', 'pulumi:description': 'A <web> & app' },
      },
    })
    // apitype.CreateStackResponse must decode: a JSON object (an empty body is "unexpected end of JSON input").
    assert.equal(typeof created.body, 'object')
    await init.getStack(path)
    // backend.go :: CreateStack maps a 409 whose message contains "already exists" to StackAlreadyExistsError.
    await assertApiError(
      run('stack-init').call('POST', '/api/stacks/acme/web', { body: { stackName: 'dev' } }),
      409,
      /already exists/,
    )
  })

  it('stack select: GET stack (404 means "no stack named … found")', async () => {
    const select = run('stack-select')
    await select.pre()
    const stack = await select.getStack(S)
    assert.deepEqual([stack.orgName, stack.projectName, stack.stackName], ['acme', 'web', 'dev'])
    await assertApiError(select.call('GET', '/api/stacks/acme/web/nope'), 404)
  })

  it('stack ls: pages through /api/user/stacks until continuationToken is null', async () => {
    for (const name of ['s1', 's2', 's3', 's4']) {
      await cli.call('POST', '/api/stacks/acme/web', { body: { stackName: name } })
    }
    await cli.call('POST', '/api/stacks/acme/other', { body: { stackName: 'elsewhere' } })

    async function list(ls: Invocation, project: string | undefined) {
      const names: string[] = []
      let token: string | undefined
      for (let pages = 1; ; pages++) {
        assert.ok(pages < 50, 'pagination does not end')
        const page = await ls.call<{
          stacks: { orgName: string; projectName: string; stackName: string; lastUpdate?: number }[]
          continuationToken?: string | null
        }>('GET', `/api/user/stacks${goQuery({ project, continuationToken: token })}`)
        for (const summary of page.body.stacks) {
          // pkg/backend/httpstate/stack.go :: cloudStackSummary.Name asserts both.
          assert.ok(summary.projectName)
          assert.match(summary.stackName, STACK_NAME)
          assert.ok(summary.lastUpdate === undefined || typeof summary.lastUpdate === 'number')
          names.push(`${summary.orgName}/${summary.projectName}/${summary.stackName}`)
        }
        const next = page.body.continuationToken
        // A non-nil "" would be re-sent as continuationToken= forever (stack_list.go).
        assert.notEqual(next, '')
        if (next === null || next === undefined) return { names, pages }
        token = next
      }
    }

    const ls = run('stack-ls')
    await ls.pre()
    await ls.getStack(S) // marks the current stack with "*"
    const inProject = await list(ls, 'web')
    assert.deepEqual(
      inProject.names.sort(),
      ['dev', 's1', 's2', 's3', 's4'].map((s) => `acme/web/${s}`),
    )
    assert.equal(inProject.pages, 3)
    const all = await list(run('stack-ls'), undefined)
    assert.ok(all.names.includes('acme/other/elsewhere'))
    assert.equal(all.names.length, 6)
  })

  it('stack tag set / ls / rm: GET stack, then PATCH the complete tag map', async () => {
    const set = run('stack-tag-set')
    await set.pre()
    const before = await set.getStack(S)
    await set.call('PATCH', `${S}/tags`, { body: { ...before.tags, owner: 'team-a' } })

    const ls = run('stack-tag-ls')
    await ls.pre()
    const tags = (await ls.getStack(S)).tags
    assert.equal(tags.owner, 'team-a')
    assert.equal(tags['pulumi:description'], 'A <web> & app', 'HTML-escaped JSON decodes to the same text')

    const rm = run('stack-tag-rm')
    await rm.pre()
    const { owner: _removed, ...rest } = (await rm.getStack(S)).tags
    await rm.call('PATCH', `${S}/tags`, { body: rest })
    assert.equal('owner' in (await run('stack-tag-ls').getStack(S)).tags, false)
    assert.deepEqual(set.calls.slice(2), [
      'GET /api/stacks/acme/web/dev',
      'PATCH /api/stacks/acme/web/dev/tags',
    ])
  })

  let secureValue = ''
  it('config set --secret: log-key encrypt, then encrypt the value', async () => {
    const set = run('config-set')
    await set.pre()
    await set.getStack(S)
    await set.secretsManager(S, { logKey: true })
    const encrypted = await set.call<{ ciphertext: string }>('POST', `${S}/encrypt`, {
      body: { plaintext: b64('s3cr3t value') },
    })
    // Written to Pulumi.dev.yaml as `secure: <base64>`.
    secureValue = encrypted.body.ciphertext
    assert.match(secureValue, /^[A-Za-z0-9+/]+={0,2}$/)
    assert.deepEqual(set.calls.slice(-3), [
      'GET /api/capabilities',
      'POST /api/stacks/acme/web/dev/encrypt',
      'POST /api/stacks/acme/web/dev/encrypt',
    ])
  })

  it('config get: decrypt, then log-decryption (answer ignored)', async () => {
    const get = run('config-get')
    await get.pre()
    await get.getStack(S)
    await get.secretsManager(S, { logKey: true })
    const decrypted = await get.call<{ plaintext: string }>('POST', `${S}/decrypt`, {
      body: { ciphertext: secureValue },
    })
    assert.equal(Buffer.from(decrypted.body.plaintext, 'base64').toString(), 's3cr3t value')
    // config.go: Log3rdPartySecretsProviderDecryptionEvent(ctx, stack, key.Name(), "").
    await get.call('POST', `${S}/decrypt/log-decryption`, { body: { secretName: 'password' } })
    // config --show-secrets decrypts in bulk and logs the command instead.
    const all = run('config')
    assert.deepEqual(await all.batchDecrypt(S, [secureValue]), ['s3cr3t value'])
    await all.call('POST', `${S}/decrypt/log-batch-decryption`, { body: { commandName: 'pulumi config' } })
  })

  const provider = () => ({
    type: 'service',
    state: { url: server.url, owner: 'acme', project: 'web', stack: 'dev' },
  })
  const root = 'urn:pulumi:dev::web::pulumi:pulumi:Stack::web-dev'
  let firstImport: Untyped

  it('stack import: decrypt with the file provider, re-encrypt for the stack, import (gzip), poll', async () => {
    // The file: what `pulumi stack export` of this stack printed earlier.
    const fileSecret = (
      await cli.call<{ ciphertext: string }>('POST', `${S}/encrypt`, {
        body: { plaintext: b64('"hunter2"') },
      })
    ).body.ciphertext
    const file: Untyped = {
      version: 3,
      deployment: {
        manifest: { time: '2026-08-21T10:00:00Z', magic: '', version: 'v3.200.0' },
        secrets_providers: provider(),
        resources: [
          {
            urn: root,
            custom: false,
            type: 'pulumi:pulumi:Stack',
            outputs: { url: 'https://example.com', password: { [SIG]: SECRET_SIG, ciphertext: fileSecret } },
          },
          {
            urn: 'urn:pulumi:dev::web::random:index/randomPet:RandomPet::pet',
            custom: true,
            type: 'random:index/randomPet:RandomPet',
          },
        ],
      },
    }

    const imp = run('stack-import')
    await imp.pre()
    await imp.getStack(S)
    // Deserialize the file: its provider is "service" → SM (no log key: not via GetSecretsManager) → batch-decrypt.
    await imp.secretsManager(S, { logKey: false })
    const plaintexts = await imp.batchDecrypt(
      S,
      secretsIn(file).map((s) => s.ciphertext),
    )
    assert.deepEqual(plaintexts, ['"hunter2"'])
    // Re-serialize for the target stack (SerializeUntypedDeployment), then send.
    const capabilities = await imp.secretsManager(S, { logKey: true })
    const [ciphertext] = await imp.batchEncrypt(S, plaintexts, capabilities)
    firstImport = structuredClone(file)
    const secret = secretsIn(firstImport)[0]
    assert.ok(secret && ciphertext)
    secret.ciphertext = ciphertext
    await imp.importAndWait(S, firstImport)
    assert.ok(imp.calls.includes('POST /api/stacks/acme/web/dev/import'))
  })

  it('stack export, --show-secrets and --version N', async () => {
    const exp = run('stack-export')
    await exp.pre()
    const stack = await exp.getStack(S)
    assert.equal(stack.version, 1)
    const exported = await exp.call('GET', `${S}/export`)
    assertDeserializable(exported.body)
    assert.deepEqual(exported.body, firstImport)

    // --show-secrets: the deployment's provider decrypts every secret, then the bulk decryption is logged.
    const show = run('stack-export')
    const body = (await show.call('GET', `${S}/export`)).body
    await show.secretsManager(S, { logKey: false })
    assert.deepEqual(
      await show.batchDecrypt(
        S,
        secretsIn(body).map((s) => s.ciphertext),
      ),
      ['"hunter2"'],
    )
    await show.call('POST', `${S}/decrypt/log-batch-decryption`, {
      body: { commandName: 'pulumi stack export' },
    })

    // A `pulumi state` edit (export → change → import) makes version 2; --version 1 still shows the first.
    const edit = run('state-unprotect')
    const current = (await edit.call('GET', `${S}/export`)).body as unknown as Untyped
    const edited = structuredClone(current)
    edited.deployment.resources = edited.deployment.resources?.slice(0, 1)
    await edit.importAndWait(S, edited)
    const v1 = await run('stack-export').call('GET', `${S}/export/1`)
    assertDeserializable(v1.body)
    assert.deepEqual(v1.body, firstImport)
    const v2 = await run('stack-export').call('GET', `${S}/export/2`)
    assert.deepEqual(v2.body, edited)
    await assertApiError(run('stack-export').call('GET', `${S}/export/3`), 404)
  })

  it('stack output [--show-secrets]: export, batch-decrypt the secret outputs, log the command', async () => {
    const out = run('stack-output')
    await out.pre()
    await out.getStack(S)
    const exported: CliResponse<Record<string, unknown>> = await out.call('GET', `${S}/export`)
    assertDeserializable(exported.body)
    // deployment.go :: DeserializeStackOutputs reads the root stack resource's outputs.
    const stackResource = exported.body.deployment.resources?.find((r) => r.type === 'pulumi:pulumi:Stack')
    assert.ok(stackResource?.outputs)
    await out.secretsManager(S, { logKey: false })
    const [password] = await out.batchDecrypt(
      S,
      secretsIn(stackResource.outputs).map((s) => s.ciphertext),
    )
    assert.equal(JSON.parse(password ?? 'null'), 'hunter2')
    assert.equal(stackResource.outputs.url, 'https://example.com')
    await out.call('POST', `${S}/decrypt/log-batch-decryption`, {
      body: { commandName: 'pulumi stack output' },
    })
  })

  it('stack rename: POST rename with both keys; the state follows', async () => {
    const rename = run('stack-rename')
    await rename.pre()
    await rename.getStack(S)
    await rename.call('POST', `${S}/rename`, { body: { newName: 'prod', newProject: 'web' } })
    await assertApiError(run('stack').call('GET', S), 404)
    const P = '/api/stacks/acme/web/prod'
    const after = run('stack-output')
    await after.getStack(P)
    const exported = (await after.call('GET', `${P}/export`)).body as unknown as Untyped
    assert.equal(
      exported.deployment.resources?.[0]?.urn,
      'urn:pulumi:prod::web::pulumi:pulumi:Stack::web-prod',
    )
    // The secrets path now comes from the rewritten provider state (manager.go :: NewServiceSecretsManagerFromState).
    const state = (exported.deployment.secrets_providers as { state: { stack: string } }).state
    const path = `/api/stacks/acme/web/${state.stack}`
    assert.equal(path, P)
    assert.deepEqual(
      await after.batchDecrypt(
        path,
        secretsIn(exported).map((s) => s.ciphertext),
      ),
      ['"hunter2"'],
    )
    // The config's secure value still decrypts under the new name.
    const decrypted = await after.call<{ plaintext: string }>('POST', `${P}/decrypt`, {
      body: { ciphertext: secureValue },
    })
    assert.equal(Buffer.from(decrypted.body.plaintext, 'base64').toString(), 's3cr3t value')
  })

  it('stack rm: force=false is refused while resources remain; force=true deletes', async () => {
    const P = '/api/stacks/acme/web/prod'
    const rm = run('stack-rm')
    await rm.pre()
    await rm.getStack(P)
    // client.go :: DeleteStack always sends force; isStackHasResourcesError compares the exact message.
    await assertApiError(
      rm.call('DELETE', `${P}?force=false`),
      400,
      'Bad Request: Stack still contains resources.',
    )
    const forced = run('stack-rm')
    await forced.getStack(P)
    await forced.call('DELETE', `${P}?force=true`)
    await assertApiError(run('stack').call('GET', P), 404)

    // An empty stack goes without force.
    const empty = run('stack-rm')
    await empty.getStack('/api/stacks/acme/web/s1')
    await empty.call('DELETE', '/api/stacks/acme/web/s1?force=false')
    await assertApiError(run('stack').call('GET', '/api/stacks/acme/web/s1'), 404)
  })
})
