import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { before, describe, it } from 'node:test'
import { gzipSync } from 'node:zlib'
import { assertApiError } from '../support/assert-api-error.js'
import type { CliClient } from '../support/cli-client.js'
import { queryDatabase } from '../support/db-query.js'
import { deploymentWith, exportDeployment, importDeployment, stackResource } from '../support/state.js'
import { startTestServer, type TestServer, useTestServer } from '../support/test-server.js'

const fixtures = new URL('../fixtures/', import.meta.url)
const stateFiles = readdirSync(new URL('states/', fixtures))
  .filter((name) => name.endsWith('.json'))
  .map((name) => `states/${name}`)
const checkpointFiles = readdirSync(new URL('checkpoints/', fixtures))
  .filter((name) => /^checkpoint-v.*\.json$/.test(name))
  .map((name) => `checkpoints/${name}`)
const readFixture = (path: string) => readFileSync(new URL(path, fixtures))

/** A stack name from a fixture file name (dots are allowed in stack names). */
const stackNameOf = (path: string) => path.replace(/^.*\//, '').replace(/\.json$/, '')

async function createStack(cli: CliClient, project: string, stackName: string): Promise<string> {
  await cli.call('POST', `/api/stacks/acme/${project}`, { body: { stackName } })
  return `/api/stacks/acme/${project}/${stackName}`
}

describe('state export and import', () => {
  let cli: CliClient
  useTestServer({ args: [`-max-body-size=${16 * 1024 * 1024}`] }, (started) => {
    cli = started.client
  })

  it('exports a never-deployed stack as a valid v3 deployment with a manifest', async () => {
    const path = await createStack(cli, 'web', 'fresh')
    const exported = await exportDeployment(cli, path)
    // pkg/resource/stack/deployment.go :: UnmarshalUntypedDeployment needs version 1..4 and a deployment object;
    // deploy/manifest.go :: DeserializeManifest parses the time as RFC 3339.
    assert.equal(exported.body.version, 3)
    const deployment = exported.body.deployment as { manifest?: Record<string, unknown> }
    assert.equal(typeof deployment, 'object')
    assert.ok(deployment.manifest, 'manifest is not omitempty in apitype.DeploymentV3')
    assert.equal(typeof deployment.manifest.magic, 'string')
    assert.equal(typeof deployment.manifest.version, 'string')
    assert.ok(!Number.isNaN(Date.parse(String(deployment.manifest.time))))
  })

  it('exports the state given at stack creation (non-default secrets provider, stack_io.go :: CreateStack)', async () => {
    const state = {
      version: 3,
      deployment: {
        manifest: { time: '2026-01-01T00:00:00Z', magic: '', version: 'v3.200.0' },
        secrets_providers: { type: 'passphrase', state: { salt: 'v1:c2FsdA==:v1:aXY=:Y3Q=' } },
      },
    }
    await cli.call('POST', '/api/stacks/acme/web', { body: { stackName: 'with-state', state } })
    const exported = await exportDeployment(cli, '/api/stacks/acme/web/with-state')
    assert.deepEqual(exported.body, state)
  })

  it('imports with a gzip body, answers updateId and a finished update status', async () => {
    const path = await createStack(cli, 'web', 'imported')
    const state = deploymentWith([stackResource('web', 'imported', { answer: 42 })])
    const { results } = await importDeployment(cli, path, state)
    assert.equal(results.continuationToken ?? null, null)
    assert.deepEqual(results.events, [])
    assert.deepEqual((await exportDeployment(cli, path)).body, state)
    const stack = await cli.call<{ version: number }>('GET', path)
    assert.equal(stack.body.version, 1)
  })

  it('answers 404 for the status of an unknown update', async () => {
    await assertApiError(cli.call('GET', '/api/stacks/acme/web/imported/update/no-such-update'), 404)
  })

  for (const file of stateFiles) {
    it(`round-trips ${file} byte for byte`, async () => {
      const bytes = readFixture(file)
      const path = await createStack(cli, 'fixtures', stackNameOf(file))
      await importDeployment(cli, path, bytes)
      const gz = await exportDeployment(cli, path)
      assert.deepEqual(gz.body, JSON.parse(bytes.toString('utf8')), 'semantically identical')
      assert.ok(gz.raw.equals(bytes), 'byte-identical through the gzip path')
      const plain = await exportDeployment(cli, path, { acceptGzip: false })
      assert.ok(plain.raw.equals(bytes), 'byte-identical through the plain path')
    })
  }

  for (const file of checkpointFiles) {
    const parsed = JSON.parse(readFixture(file).toString('utf8')) as Record<string, unknown>
    if ('deployment' in parsed) {
      it(`round-trips ${file}`, async () => {
        const path = await createStack(cli, 'fixtures', stackNameOf(file))
        await importDeployment(cli, path, readFixture(file))
        assert.deepEqual((await exportDeployment(cli, path)).body, parsed)
      })
    } else {
      // The DIY backend's on-disk format ({"version","checkpoint"}, or the v0 {"target","latest"}): the CLI never
      // sends it, so it must be refused with a message that says what went wrong.
      it(`rejects ${file}, a DIY checkpoint file, with a clear 400`, async () => {
        const path = await createStack(cli, 'fixtures', stackNameOf(file))
        await assertApiError(importDeployment(cli, path, readFixture(file)), 400, /checkpoint/i)
        assert.deepEqual((await exportDeployment(cli, path)).body.version, 3)
        assert.equal((await cli.call<{ version: number }>('GET', path)).body.version, 0)
      })
    }
  }

  it('keeps every imported state as a version, served by export/{version}', async () => {
    const path = await createStack(cli, 'web', 'history')
    const states = [1, 2, 3].map((n) => deploymentWith([stackResource('web', 'history', { n })]))
    for (const state of states) await importDeployment(cli, path, state)
    for (const [i, state] of states.entries()) {
      assert.deepEqual((await exportDeployment(cli, path, { version: i + 1 })).body, state)
    }
    assert.deepEqual((await exportDeployment(cli, path)).body, states[2])
    // backend.go :: ExportDeploymentForVersion refuses non-positive versions locally; the server does too.
    for (const bad of ['0', '-1', 'abc', '1.5', '1e0']) {
      await assertApiError(exportDeployment(cli, path, { version: bad }), 400, /version/)
    }
    await assertApiError(exportDeployment(cli, path, { version: 99 }), 404, /version 99/)
  })

  it('answers gzip only when asked, and never any other Content-Encoding (api.go :: readBody)', async () => {
    const path = '/api/stacks/acme/fixtures/eks-cluster-3.0.0'
    const bytes = readFixture('states/eks-cluster-3.0.0.json')
    const gz = await exportDeployment(cli, path)
    assert.equal(gz.headers['content-encoding'], 'gzip')
    assert.ok(gz.wireBytes < bytes.length / 2, 'a large state really travels compressed')
    for (const acceptEncoding of [undefined, 'br, deflate', 'identity', 'gzip;q=0']) {
      const plain = await exportDeployment(cli, path, {
        acceptGzip: false,
        ...(acceptEncoding ? { headers: { 'Accept-Encoding': acceptEncoding } } : {}),
      })
      assert.equal(plain.headers['content-encoding'], undefined, `Accept-Encoding: ${acceptEncoding}`)
      assert.ok(plain.raw.equals(bytes))
    }
    // A small deployment still comes back decodable either way.
    const small = await exportDeployment(cli, '/api/stacks/acme/web/fresh')
    assert.ok([undefined, 'gzip'].includes(small.headers['content-encoding'] as string | undefined))
  })

  it('refuses to delete a stack with resources unless forced', async () => {
    const path = await createStack(cli, 'web', 'doomed')
    await importDeployment(cli, path, deploymentWith([stackResource('web', 'doomed')]))
    // client.go :: isStackHasResourcesError compares this exact message to offer --force.
    await assertApiError(
      cli.call('DELETE', `${path}?force=false`),
      400,
      'Bad Request: Stack still contains resources.',
    )
    await cli.call('GET', path)
    await cli.call('DELETE', `${path}?force=true`)
    await assertApiError(cli.call('GET', path), 404)
  })

  it('deletes an emptied stack without force', async () => {
    const path = await createStack(cli, 'web', 'emptied')
    await importDeployment(cli, path, deploymentWith([stackResource('web', 'emptied')]))
    await importDeployment(cli, path, deploymentWith([]))
    await cli.call('DELETE', `${path}?force=false`)
    await assertApiError(cli.call('GET', path), 404)
  })

  describe('bad imports leave the state alone', () => {
    let path: string
    const previous = deploymentWith([stackResource('web', 'guarded', { kept: true })])
    before(async () => {
      path = await createStack(cli, 'web', 'guarded')
      await importDeployment(cli, path, previous)
    })

    async function assertUnchanged() {
      assert.deepEqual((await exportDeployment(cli, path)).body, previous)
      assert.equal((await cli.call<{ version: number }>('GET', path)).body.version, 1)
    }

    const post = (rawBody: Buffer, headers: Record<string, string> = { 'Content-Encoding': 'gzip' }) =>
      cli.call('POST', `${path}/import`, { rawBody, headers })

    it('corrupt gzip → 400', async () => {
      await assertApiError(post(Buffer.from('definitely not gzip')), 400, /gzip/)
      const truncated = gzipSync(JSON.stringify(previous)).subarray(0, 20)
      await assertApiError(post(truncated), 400)
      await assertUnchanged()
    })

    it('invalid JSON → 400', async () => {
      await assertApiError(post(gzipSync('{"version":3,')), 400, /JSON/)
      await assertApiError(post(Buffer.from('not json'), {}), 400, /JSON/)
      await assertUnchanged()
    })

    it('unsupported deployment versions and shapes → 400', async () => {
      const bodies: unknown[] = [
        { ...previous, version: 0 },
        { ...previous, version: 5 },
        { ...previous, version: '3' },
        { version: 3 },
        { version: 3, deployment: [] },
        { ...previous, features: 'taint' },
        [previous],
      ]
      for (const body of bodies) {
        await assertApiError(post(gzipSync(JSON.stringify(body))), 400)
      }
      await assertUnchanged()
    })

    it('a gzip bomb → 413, and the server stays up', async () => {
      // 32 MB of zeros (over the 16 MB inflated-body limit of this server) compress to well under 1 MB.
      const bomb = gzipBomb(32, 1024 * 1024)
      assert.ok(bomb.length < 2 * 1024 * 1024)
      await assertApiError(post(bomb), 413)
      const health = await cli.call<{ status: string }>('GET', '/healthz')
      assert.equal(health.body.status, 'ok')
      await assertUnchanged()
    })
  })
})

describe('state version retention', () => {
  async function importThree(server: TestServer, stackName: string) {
    const path = await createStack(server.client, 'web', stackName)
    const states = [1, 2, 3].map((n) => deploymentWith([stackResource('web', stackName, { n })]))
    for (const state of states) await importDeployment(server.client, path, state)
    return { path, states }
  }

  async function storedVersions(server: TestServer): Promise<number[]> {
    const rows = await queryDatabase<{ version: number }>(
      server.dbPath,
      'select version from state_versions order by version',
    )
    return rows.map((row) => Number(row.version))
  }

  it('-max-state-versions=2 prunes older versions', async () => {
    const server = await startTestServer({ args: ['-max-state-versions=2'] })
    try {
      const { path, states } = await importThree(server, 'pruned')
      await assertApiError(
        exportDeployment(server.client, path, { version: 1 }),
        404,
        /no longer kept.*max-state-versions/,
      )
      assert.deepEqual((await exportDeployment(server.client, path, { version: 2 })).body, states[1])
      assert.deepEqual((await exportDeployment(server.client, path, { version: 3 })).body, states[2])
      assert.deepEqual((await exportDeployment(server.client, path)).body, states[2])
      assert.deepEqual(await storedVersions(server), [2, 3], 'really deleted from the database')
    } finally {
      await server.close()
    }
  })

  it('-max-state-versions=0 keeps every version', async () => {
    const server = await startTestServer({ args: ['-max-state-versions=0'] })
    try {
      const { path, states } = await importThree(server, 'kept')
      for (const [i, state] of states.entries()) {
        assert.deepEqual((await exportDeployment(server.client, path, { version: i + 1 })).body, state)
      }
      assert.deepEqual(await storedVersions(server), [1, 2, 3])
    } finally {
      await server.close()
    }
  })
})

/**
 * `members` concatenated gzip members of `memberSize` zero bytes each: RFC 1952 allows several members in one
 * stream and gunzip inflates them all, so a bomb of any size costs one small compression.
 */
function gzipBomb(members: number, memberSize: number): Buffer {
  const member = gzipSync(Buffer.alloc(memberSize), { level: 9 })
  return Buffer.concat(Array.from({ length: members }, () => member))
}
