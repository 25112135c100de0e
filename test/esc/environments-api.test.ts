// The ESC environments API against the real server, called as the ESC client calls it
// (pulumi/esc cmd/esc/cli/client/client.go): YAML bodies, ETag / Pulumi-ESC-Revision headers, open sessions.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { assertApiError } from '../support/assert-api-error.js'
import { CliApiError, type CliClient } from '../support/cli-client.js'
import { queryDatabase } from '../support/db-query.js'
import { deploymentWith, importDeployment, stackResource } from '../support/state.js'
import { type TestServer, useTestServer } from '../support/test-server.js'
import { complete, createAndStart } from '../support/update-driver.js'

const ENVS = '/api/esc/environments/acme'
const yaml = (text: string) => ({ rawBody: Buffer.from(text) })
/** An ESC reference `${path}`, spelled so no plain string holds a template placeholder. */
const ref = (path: string) => `\${${path}}`

interface EscValue {
  value?: unknown
  secret?: boolean
  unknown?: boolean
}

async function createEnv(
  cli: CliClient,
  project: string,
  name: string,
  definition?: string,
): Promise<string> {
  await cli.call('POST', ENVS, { body: { project, name } })
  const path = `${ENVS}/${project}/${name}`
  if (definition !== undefined) await cli.call('PATCH', path, yaml(definition))
  return path
}

/** POST …/open then GET …/open/{id}, as `esc env open` does. */
async function openEnv(cli: CliClient, path: string): Promise<Record<string, EscValue>> {
  const opened = await cli.call<{ id: string }>('POST', `${path}/open?duration=2h0m0s`)
  const read = await cli.call<{ properties: Record<string, EscValue> }>(
    'GET',
    `${path}/open/${opened.body.id}`,
  )
  return read.body.properties
}

/** What 400 answers carry: the CLI shows these diagnostics (client.go :: EnvironmentErrorResponse). */
async function diagnosticsOf(promise: Promise<unknown>): Promise<{ summary: string; path?: string }[]> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof CliApiError)
    assert.equal(error.status, 400)
    const body = JSON.parse(error.response.raw.toString('utf8')) as { diagnostics?: { summary: string }[] }
    assert.ok(body.diagnostics && body.diagnostics.length > 0, 'a 400 for a definition carries diagnostics')
    return body.diagnostics
  }
  assert.fail('expected a 400 with diagnostics')
}

describe('ESC environments API', () => {
  let server: TestServer
  let cli: CliClient
  useTestServer({}, (s) => {
    server = s
    cli = s.client
  })

  it('creates, reads (ETag, revision), updates and lists an environment', async () => {
    const path = await createEnv(cli, 'app', 'dev')
    const empty = await cli.call('GET', path)
    assert.equal(empty.raw.toString(), '')
    assert.equal(empty.headers['pulumi-esc-revision'], '1')
    const etag = String(empty.headers.etag)
    const updated = await cli.call<{ diagnostics?: unknown[] }>('PATCH', path, {
      ...yaml(`values:\n  greeting: hello\n  who: ${ref('greeting')}, world\n`),
      headers: { ETag: etag },
    })
    assert.equal(updated.headers['pulumi-esc-revision'], '2')
    const read = await cli.call('GET', path)
    assert.equal(read.raw.toString(), `values:\n  greeting: hello\n  who: ${ref('greeting')}, world\n`)
    assert.equal(read.headers['content-type'], 'application/x-yaml')
    // A stale ETag is refused, nothing stored.
    await assertApiError(cli.call('PATCH', path, { ...yaml('values: {}\n'), headers: { ETag: etag } }), 409)
    assert.equal((await cli.call('GET', path)).headers['pulumi-esc-revision'], '2')
    const list = await cli.call<{ environments: { organization: string; project: string; name: string }[] }>(
      'GET',
      ENVS,
    )
    assert.ok(
      list.body.environments.some(
        (e) => e.organization === 'acme' && e.project === 'app' && e.name === 'dev',
      ),
    )
    await assertApiError(cli.call('POST', ENVS, { body: { project: 'app', name: 'dev' } }), 409)
  })

  it('stores fn::secret encrypted, returns ciphertext in definitions and plaintext only on open and decrypt', async () => {
    const path = await createEnv(
      cli,
      'app',
      'secrets',
      'values:\n  password:\n    fn::secret: hunter2-plain\n',
    )
    const stored = (await cli.call('GET', path)).raw.toString()
    assert.doesNotMatch(stored, /hunter2-plain/)
    assert.match(stored, /ciphertext: /)
    const decrypted = (await cli.call('GET', `${path}/decrypt`)).raw.toString()
    assert.match(decrypted, /fn::secret: hunter2-plain/)
    const props = await openEnv(cli, path)
    assert.equal(props.password?.value, 'hunter2-plain')
    assert.equal(props.password?.secret, true)
    // Nowhere in the database in plaintext (definitions, sessions).
    for (const table of ['esc_revisions', 'esc_open_sessions']) {
      const rows = await queryDatabase(server.dbPath, `select * from ${table}`)
      assert.ok(table !== 'esc_revisions' || rows.length > 0, 'the revisions were looked at')
      // Blob columns as text (a replacer sees a Buffer's toJSON form, not the Buffer: look at the holder's field).
      const text = JSON.stringify(rows, function (this: Record<string, unknown>, key, value) {
        const raw = this[key]
        return Buffer.isBuffer(raw) ? raw.toString('latin1') : value
      })
      assert.doesNotMatch(text, /hunter2-plain/)
    }
    // Updating with the stored (ciphertext) definition keeps the secret.
    await cli.call('PATCH', path, yaml(stored.replace('values:', 'values:\n  extra: 1')))
    assert.equal((await openEnv(cli, path)).password?.value, 'hunter2-plain')
  })

  it("refuses a ciphertext another organization's key sealed", async () => {
    const path = await createEnv(cli, 'app', 'sealed', 'values:\n  s:\n    fn::secret: only-for-acme\n')
    const sealed = (await cli.call('GET', path)).raw.toString()
    await cli.call('POST', '/api/esc/environments/other-org', { body: { project: 'app', name: 'stolen' } })
    const diags = await diagnosticsOf(
      cli.call('PATCH', '/api/esc/environments/other-org/app/stolen', yaml(sealed)),
    )
    assert.match(diags[0]?.summary ?? '', /^decrypting: /)
  })

  it('imports, merges and opens anonymous YAML the way `pulumi up` with `environment:` does', async () => {
    await createEnv(cli, 'shared', 'base', 'values:\n  region: us-east-1\n  tags:\n    team: core\n')
    await createEnv(
      cli,
      'shared',
      'child',
      'imports:\n  - shared/base\nvalues:\n  tags:\n    env: dev\n  url: https://' +
        ref('region') +
        '.example.com\n',
    )
    const opened = await cli.call<{ id: string }>('POST', `${ENVS}/yaml/open?duration=2h0m0s`, {
      ...yaml('imports:\n  - shared/child\n'),
    })
    const read = await cli.call<{ properties: Record<string, EscValue> }>(
      'GET',
      `${ENVS}/yaml/open/${opened.body.id}`,
    )
    const props = read.body.properties
    assert.equal(props.url?.value, 'https://us-east-1.example.com')
    const tags = props.tags?.value as Record<string, EscValue>
    assert.deepEqual(Object.keys(tags).sort(), ['env', 'team'])
    const one = await cli.call<EscValue>('GET', `${ENVS}/yaml/open/${opened.body.id}?property=tags.team`)
    assert.equal(one.body.value, 'core')
    const checked = await cli.call<{ properties: Record<string, EscValue> }>('POST', `${ENVS}/yaml/check`, {
      ...yaml(`imports:\n  - shared/child\nvalues:\n  who: ${ref('context.pulumi.user.login')}\n`),
    })
    assert.equal(checked.body.properties.who?.value, 'alice')
    // Another environment's session id does not read an anonymous one.
    await assertApiError(cli.call('GET', `${ENVS}/shared/base/open/${opened.body.id}`), 404)
  })

  it('imports a pinned version (`env@rev`, `env@tag`) and honours environmentOverrides', async () => {
    const base = await createEnv(cli, 'pin', 'base', 'values:\n  region: us-east-1\n')
    await cli.call('PATCH', base, yaml('values:\n  region: eu-west-1\n'))
    await cli.call('POST', `${base}/versions/tags`, { body: { name: 'old', revision: 2 } })
    const regionOf = async (definition: string, query = '') => {
      const opened = await cli.call<{ id: string }>(
        'POST',
        `${ENVS}/yaml/open?duration=2h0m0s${query}`,
        yaml(definition),
      )
      const read = await cli.call<{ properties: Record<string, EscValue> }>(
        'GET',
        `${ENVS}/yaml/open/${opened.body.id}`,
      )
      return read.body.properties.region?.value
    }
    assert.equal(await regionOf('imports:\n  - pin/base\n'), 'eu-west-1')
    assert.equal(await regionOf('imports:\n  - pin/base@2\n'), 'us-east-1')
    assert.equal(await regionOf('imports:\n  - pin/base@old\n'), 'us-east-1')
    const overrides = Buffer.from(JSON.stringify({ 'pin/base': '2' })).toString('base64url')
    assert.equal(
      await regionOf('imports:\n  - pin/base\n', `&environmentOverrides=${overrides}`),
      'us-east-1',
    )
  })

  it('answers bad definitions with diagnostics and stores nothing', async () => {
    const path = await createEnv(cli, 'app', 'bad')
    const unterminated = await diagnosticsOf(cli.call('PATCH', path, yaml('values: [unterminated\n')))
    assert.match(unterminated[0]?.summary ?? '', /^yaml: line/)
    const cycle = await diagnosticsOf(
      cli.call('PATCH', path, yaml(`values:\n  a: ${ref('b')}\n  b: ${ref('a')}\n`)),
    )
    assert.ok(cycle.some((d) => d.summary.startsWith('cyclic reference')))
    const missing = await diagnosticsOf(cli.call('PATCH', path, yaml('imports:\n  - nowhere\n')))
    assert.equal(missing[0]?.summary, 'environment "nowhere" not found')
    const cloud = await diagnosticsOf(
      cli.call('PATCH', path, yaml('values:\n  creds:\n    fn::open::aws-login: {}\n')),
    )
    assert.match(cloud[0]?.summary ?? '', /provider "aws-login" is not available on this server/)
    assert.equal((await cli.call('GET', path)).headers['pulumi-esc-revision'], '1')
    await assertApiError(cli.call('GET', `${ENVS}/app/nope`), 404)
  })

  it('bounds the work: interpolation bombs, deep nesting and huge documents are diagnostics, never a hang', async () => {
    const path = await createEnv(cli, 'app', 'bomb')
    let bomb = 'values:\n  l0: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n'
    for (let i = 1; i < 40; i++) bomb += `  l${i}: "\${l${i - 1}}\${l${i - 1}}\${l${i - 1}}\${l${i - 1}}"\n`
    const bombDiags = await diagnosticsOf(cli.call('PATCH', path, yaml(bomb)))
    assert.match(bombDiags[0]?.summary ?? '', /longer than|exceeded/)
    let copies = 'values:\n  a0: [1, 2, 3, 4, 5, 6, 7, 8]\n'
    for (let i = 1; i < 30; i++) copies += `  a${i}: ["\${a${i - 1}}", "\${a${i - 1}}", "\${a${i - 1}}"]\n`
    const copyDiags = await diagnosticsOf(cli.call('PATCH', path, yaml(copies)))
    assert.match(copyDiags[0]?.summary ?? '', /exceeded/)
    const deep = `values:\n  x: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`
    // Diagnostics from the evaluator, or a plain 400 where the body parser bounds nesting first.
    await assert.rejects(
      cli.call('PATCH', path, yaml(deep)),
      (e: unknown) => e instanceof CliApiError && e.status === 400,
    )
    // Over the definition limit: diagnostics, or 413 where the HTTP body limit is lower.
    const huge = `values:\n  big: "${'x'.repeat(1_100_000)}"\n`
    await assert.rejects(
      cli.call('PATCH', path, yaml(huge)),
      (e: unknown) => e instanceof CliApiError && [400, 413].includes(e.status),
    )
    assert.equal((await cli.call('GET', path)).headers['pulumi-esc-revision'], '1')
  })

  it('keeps revisions, revision tags, retractions and reads by number or tag', async () => {
    const path = await createEnv(cli, 'app', 'versions', 'values:\n  v: one\n')
    await cli.call('PATCH', path, yaml('values:\n  v: two\n'))
    await cli.call('PATCH', path, yaml('values:\n  v: three\n'))
    await cli.call('POST', `${path}/versions/tags`, { body: { name: 'stable', revision: 2 } })
    assert.equal((await cli.call('GET', `${path}/versions/stable`)).raw.toString(), 'values:\n  v: one\n')
    assert.equal((await cli.call('GET', `${path}/versions/3`)).raw.toString(), 'values:\n  v: two\n')
    const revisions = await cli.call<{ number: number; tags: string[] }[]>('GET', `${path}/versions`)
    assert.deepEqual(
      revisions.body.map((r) => [r.number, r.tags]),
      [
        [4, ['latest']],
        [3, []],
        [2, ['stable']],
        [1, []],
      ],
    )
    const tags = await cli.call<{ tags: { name: string; revision: number }[] }>(
      'GET',
      `${path}/versions/tags`,
    )
    assert.deepEqual(
      tags.body.tags.map((t) => [t.name, t.revision]),
      [
        ['latest', 4],
        ['stable', 2],
      ],
    )
    // The ESC client pages revision tags by `after` until an empty page, and revisions from before=0 (= latest).
    const afterLatest = await cli.call<{ tags: { name: string }[] }>(
      'GET',
      `${path}/versions/tags?after=latest&count=500`,
    )
    assert.deepEqual(
      afterLatest.body.tags.map((t) => t.name),
      ['stable'],
    )
    const afterAll = await cli.call<{ tags: unknown[] }>(
      'GET',
      `${path}/versions/tags?after=stable&count=500`,
    )
    assert.deepEqual(afterAll.body.tags, [])
    const fromZero = await cli.call<unknown[]>('GET', `${path}/versions?before=0&count=500`)
    assert.equal(fromZero.body.length, 4)
    await cli.call('PATCH', `${path}/versions/tags/stable`, { body: { revision: 3 } })
    assert.equal(
      (await cli.call<{ revision: number }>('GET', `${path}/versions/tags/stable`)).body.revision,
      3,
    )
    await assertApiError(cli.call('POST', `${path}/versions/tags`, { body: { name: 'latest' } }), 400)
    await cli.call('POST', `${path}/versions/3/retract`, { body: { reason: 'leaked' } })
    // A retracted revision reads as its replacement.
    assert.equal((await cli.call('GET', `${path}/versions/3`)).raw.toString(), 'values:\n  v: one\n')
    await assertApiError(cli.call('POST', `${path}/versions/4/retract`, { body: {} }), 400)
    await cli.call('DELETE', `${path}/versions/tags/stable`)
    await assertApiError(cli.call('GET', `${path}/versions/stable`), 404)
    const opened = await cli.call<{ id: string }>('POST', `${path}/versions/2/open`)
    const props = (
      await cli.call<{ properties: Record<string, EscValue> }>('GET', `${path}/open/${opened.body.id}`)
    ).body
    assert.equal(props.properties.v?.value, 'one')
  })

  it('keeps environment tags, deletion protection, clone and delete', async () => {
    const path = await createEnv(cli, 'app', 'source', 'values:\n  k: v\n')
    const tag = await cli.call<{ name: string; value: string }>('POST', `${path}/tags`, {
      body: { name: 'owner', value: 'ops' },
    })
    assert.equal(tag.body.value, 'ops')
    await cli.call('PATCH', `${path}/tags/owner`, {
      body: { currentTag: { name: 'owner', value: 'ops' }, newTag: { name: 'owner', value: 'sre' } },
    })
    const tags = await cli.call<{ tags: Record<string, { value: string }>; nextToken: string }>(
      'GET',
      `${path}/tags?after=&count=500`,
    )
    assert.equal(tags.body.tags.owner?.value, 'sre')
    // env_tag_ls.go loops until nextToken is "0".
    assert.equal(tags.body.nextToken, '0')
    // `env tag mv` names the current tag in the path only (client.go :: UpdateEnvironmentTag).
    const moved = await cli.call<{ name: string; value: string }>('PATCH', `${path}/tags/owner`, {
      body: { currentTag: { value: 'sre' }, newTag: { name: 'team', value: 'sre' } },
    })
    assert.deepEqual([moved.body.name, moved.body.value], ['team', 'sre'])
    await cli.call('PATCH', `${path}/tags/team`, { body: { currentTag: {}, newTag: { name: 'owner' } } })
    await cli.call('POST', `${path}/clone`, {
      body: { project: 'copy', name: 'target', preserveEnvironmentTags: true },
    })
    assert.equal((await cli.call('GET', `${ENVS}/copy/target`)).raw.toString(), 'values:\n  k: v\n')
    const copiedTags = await cli.call<{ tags: Record<string, { value: string }> }>(
      'GET',
      `${ENVS}/copy/target/tags`,
    )
    assert.equal(copiedTags.body.tags.owner?.value, 'sre')
    await assertApiError(
      cli.call('POST', `${path}/clone`, { body: { project: 'copy', name: 'target' } }),
      409,
    )
    await cli.call('PATCH', `${path}/settings`, { body: { deletionProtected: true } })
    assert.deepEqual((await cli.call('GET', `${path}/settings`)).body, { deletionProtected: true })
    await assertApiError(cli.call('DELETE', path), 409)
    await cli.call('PATCH', `${path}/settings`, { body: { deletionProtected: false } })
    await cli.call('DELETE', path)
    await assertApiError(cli.call('GET', path), 404)
  })

  it('lists environments that import one as referrers', async () => {
    await createEnv(cli, 'ref', 'base', 'values:\n  a: 1\n')
    await createEnv(cli, 'ref', 'user', 'imports:\n  - ref/base\n')
    const referrers = await cli.call<{ referrers: Record<string, { environment: { name: string } }[]> }>(
      'GET',
      `${ENVS}/ref/base/referrers`,
    )
    assert.deepEqual(
      Object.values(referrers.body.referrers)
        .flat()
        .map((r) => r.environment.name),
      ['user'],
    )
  })

  it('lists stacks whose latest update imported the environment as referrers', async () => {
    await createEnv(cli, 'ref', 'shared', 'values:\n  a: 1\n')
    const up = async (stack: string, imports: string[]) => {
      const id = { org: 'acme', project: 'refapp', stack }
      await cli.call('POST', '/api/stacks/acme/refapp', { body: { stackName: stack } }).catch(() => {})
      const environments = JSON.stringify(imports.map((name) => ({ id: name })))
      const update = await createAndStart(cli, id, { environment: { 'stack.environments': environments } })
      await complete(cli, update)
    }
    await up('dev', ['ref/shared@1'])
    await up('prod', ['ref/shared'])
    await up('prod', []) // prod's latest update no longer imports it
    await up('qa', ['ref/other'])
    const listed = await cli.call<{ referrers: Record<string, { stack?: unknown }[]> }>(
      'GET',
      `${ENVS}/ref/shared/referrers`,
    )
    assert.deepEqual(listed.body.referrers['acme/ref/shared'], [
      { stack: { project: 'refapp', stack: 'dev', version: 1 } },
    ])
  })

  it('opens stack outputs of this server with fn::open::pulumi-stacks, secrets decrypted', async () => {
    await cli.call('POST', '/api/stacks/acme/net', { body: { stackName: 'prod' } })
    const stackPath = '/api/stacks/acme/net/prod'
    const encrypted = await cli.call<{ ciphertext: string }>('POST', `${stackPath}/encrypt`, {
      body: { plaintext: Buffer.from('"s3cret"').toString('base64') },
    })
    await importDeployment(
      cli,
      stackPath,
      deploymentWith([
        stackResource('net', 'prod', {
          vpcId: 'vpc-123',
          dbPassword: {
            '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270',
            ciphertext: encrypted.body.ciphertext,
          },
        }),
      ]),
    )
    const path = await createEnv(
      cli,
      'app',
      'stackrefs',
      'values:\n  net:\n    fn::open::pulumi-stacks:\n      stacks:\n        prod:\n          stack: net/prod\n  vpc: ' +
        ref('net.prod.vpcId') +
        '\n',
    )
    const props = await openEnv(cli, path)
    assert.equal(props.vpc?.value, 'vpc-123')
    const net = props.net?.value as Record<string, EscValue>
    const prod = net.prod?.value as Record<string, EscValue>
    assert.equal(prod.dbPassword?.value, 's3cret')
    assert.equal(prod.dbPassword?.secret, true)
    // A check does not open providers; the open does, and reports the missing stack.
    await cli.call(
      'PATCH',
      path,
      yaml(
        'values:\n  x:\n    fn::open::pulumi-stacks:\n      stacks:\n        a:\n          stack: net/ghost\n',
      ),
    )
    const missing = await diagnosticsOf(cli.call('POST', `${path}/open`))
    assert.match(missing[0]?.summary ?? '', /not found/)
  })

  it('rotates fn::rotate::random-secret into a new revision (stored encrypted, previous kept)', async () => {
    const path = await createEnv(
      cli,
      'rot',
      'keys',
      [
        'values:',
        '  signing:',
        '    fn::rotate::random-secret:',
        '      inputs: { length: 40, encoding: hex }',
        '',
      ].join('\n'),
    )
    type Rotated = {
      id: string
      secretRotationEvent: {
        status: string
        preRotationRevision: number
        postRotationRevision?: number
        rotations: { environmentPath: string; status: string; errorMessage?: string }[]
      }
    }
    // Before its first rotation, opening says what to do.
    const before = await cli.call('POST', `${path}/open`).catch((e: unknown) => e)
    assert.ok(
      before instanceof CliApiError && /has not been rotated yet/.test(before.response.raw.toString()),
    )
    // The ESC client sends `Paths` (an untagged Go field).
    const first = await cli.call<Rotated>('POST', `${path}/rotate`, { body: { Paths: [] } })
    const event = first.body.secretRotationEvent
    assert.equal(event.status, 'succeeded')
    assert.deepEqual(
      event.rotations.map((r) => [r.environmentPath, r.status]),
      [['signing', 'succeeded']],
    )
    assert.equal(event.postRotationRevision, event.preRotationRevision + 1)
    // The state is stored encrypted and opens as a secret.
    assert.doesNotMatch((await cli.call('GET', path)).raw.toString(), /current: [0-9a-f]{40}/)
    const opened = (await openEnv(cli, path)).signing?.value as Record<string, EscValue>
    const current = opened.current?.value as string
    assert.match(current, /^[0-9a-f]{40}$/)
    assert.equal(opened.current?.secret, true)
    // A second rotation, by path, keeps the previous value.
    const second = await cli.call<Rotated>('POST', `${path}/rotate`, { body: { paths: ['signing'] } })
    assert.equal(second.body.secretRotationEvent.status, 'succeeded')
    const reopened = (await openEnv(cli, path)).signing?.value as Record<string, EscValue>
    assert.equal(reopened.previous?.value, current)
    assert.notEqual(reopened.current?.value, current)
    const diags = await diagnosticsOf(
      cli.call('POST', `${path}/rotate`, { body: { paths: ['nothing.here'] } }),
    )
    assert.equal(diags[0]?.summary, 'no fn::rotate at path "nothing.here"')
  })

  it('answers Cloud-only ESC features with a 404 that names them', async () => {
    const path = await createEnv(cli, 'app', 'cloudonly')
    await assertApiError(
      cli.call('POST', `${path}/drafts`, yaml('values: {}\n')),
      404,
      /ESC environment drafts are not provided by this server/,
    )
    await assertApiError(cli.call('GET', `${path}/schedules/s1`), 404, /schedules are not provided/)
    await assertApiError(
      cli.call('POST', '/api/change-requests/acme/cr1/submit', { body: {} }),
      404,
      /approval/,
    )
  })

  it('refuses bad names, durations and property paths with 4xx', async () => {
    await assertApiError(cli.call('POST', ENVS, { body: { project: 'app', name: 'bad name' } }), 400)
    const path = await createEnv(cli, 'app', 'durations', 'values:\n  a: 1\n')
    await assertApiError(cli.call('POST', `${path}/open?duration=forever`), 400)
    await assertApiError(cli.call('POST', `${path}/open?duration=1000h`), 400)
    const opened = await cli.call<{ id: string }>('POST', `${path}/open?duration=1m0s`)
    await assertApiError(cli.call('GET', `${path}/open/${opened.body.id}?property=nope`), 404)
    await assertApiError(cli.call('GET', `${path}/open/not-a-session`), 404)
  })
})
