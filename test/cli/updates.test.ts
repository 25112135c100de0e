// The real pulumi CLI (npm run cli:install) driving updates against this server: preview, up (creates,
// updates, replacements both ways, deletes, components, protect, secret outputs), refresh, up --target, import,
// state edits, stack export/import and destroy. Steps share one server and stack and run in order.
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type TestServer, useTestServer } from '../support/test-server.js'
import {
  type Deployment,
  findResource,
  item,
  PulumiCli,
  realCliSkipReason,
  ref,
  resourceNames,
  type YamlProgram,
} from './support/real-cli.js'

const STACK = 'acme/app/dev'
const UP = ['up', '--yes', '--skip-preview']
const SIG = '4dabf18193072939515e22adb298388d'

function program(resources: YamlProgram['resources'], outputs: Record<string, unknown> = {}): YamlProgram {
  return { name: 'app', resources, outputs }
}

const initial = program(
  {
    kept: item('v1'),
    secretive: item('s', { secret: 'hunter2' }),
    guarded: item('g', {}, { protect: true }),
    replacedAfter: item('r', { replaceKey: 'k1' }),
    replacedBefore: item('r', { replaceKey: 'k1' }, { deleteBeforeReplace: true }),
    doomed: item('d'),
    group: { type: 'testprov:index:Group', properties: { count: 2 } },
  },
  { echoed: ref('secretive.secretEcho'), kept: ref('kept.value') },
)

describe('real CLI: updates', { skip: realCliSkipReason() }, () => {
  let server: TestServer
  let cli: PulumiCli
  const exportStack = (extra: string[] = []) => cli.exportStack(STACK, extra)
  useTestServer({}, (s) => {
    server = s
  })
  before(async () => {
    cli = new PulumiCli(server.url, server.token)
    cli.writeProject(initial)
    await cli.login()
    await cli.run(['stack', 'init', STACK])
  })
  after(() => cli?.cleanup())

  it('preview shows the plan and stores nothing', async () => {
    const preview = await cli.run(['preview'])
    assert.match(preview.stdout, /\+ 10 to create/)
    const exported = await exportStack()
    assert.deepEqual(exported.deployment.resources ?? [], [])
    const history = JSON.parse((await cli.run(['stack', 'history', '--json'])).stdout) as unknown[]
    assert.equal(history.length, 0)
  })

  it('up creates resources, a component with children, a protected resource and secret outputs', async () => {
    const up = await cli.run(UP)
    assert.match(up.stdout, /10 created/)
    const exported = await exportStack()
    assert.deepEqual(resourceNames(exported).sort(), [
      'pulumi:providers:testprov::default',
      'pulumi:pulumi:Stack::app-dev',
      'testprov:index:Group::group',
      'testprov:index:Item::doomed',
      'testprov:index:Item::group-item-0',
      'testprov:index:Item::group-item-1',
      'testprov:index:Item::guarded',
      'testprov:index:Item::kept',
      'testprov:index:Item::replacedAfter',
      'testprov:index:Item::replacedBefore',
      'testprov:index:Item::secretive',
    ])
    const group = findResource(exported, 'group')
    assert.equal(findResource(exported, 'group-item-0')?.parent, group?.urn)
    assert.equal(findResource(exported, 'guarded')?.protect, true)
    const echo = findResource(exported, 'secretive')?.outputs?.secretEcho as Record<string, unknown>
    assert.equal(echo[SIG], '1b47061264138c4ac30d75fd1eb44270')
    assert.ok(!JSON.stringify(exported).includes('hunter2'), 'no plaintext secret without --show-secrets')
    const shown = await exportStack(['--show-secrets'])
    const shownEcho = findResource(shown, 'secretive')?.outputs?.secretEcho as
      | Record<string, unknown>
      | undefined
    assert.equal(shownEcho?.plaintext, '"hunter2"')
    assert.equal((await cli.run(['stack', 'output', 'echoed', '--show-secrets'])).stdout.trim(), 'hunter2')
  })

  it('up updates, replaces (create-before-delete and delete-before-replace) and deletes', async () => {
    const before = await exportStack()
    const resources = { ...initial.resources }
    resources.kept = item('v2')
    resources.replacedAfter = item('r', { replaceKey: 'k2' })
    resources.replacedBefore = item('r', { replaceKey: 'k2' }, { deleteBeforeReplace: true })
    delete resources.doomed
    cli.writeProject(program(resources, initial.outputs))
    const up = await cli.run(UP)
    assert.match(up.stdout, /1 updated/)
    assert.match(up.stdout, /1 deleted/)
    assert.match(up.stdout, /2 replaced/)
    const at = (text: string) => up.stdout.indexOf(text)
    assert.ok(
      at('replacedAfter created replacement') < at('replacedAfter deleting original'),
      'create before delete',
    )
    assert.ok(
      at('replacedBefore deleted original') < at('replacedBefore creating replacement'),
      'delete before replace',
    )
    const afterUp = await exportStack()
    assert.equal(findResource(afterUp, 'doomed'), undefined)
    assert.equal(findResource(afterUp, 'kept')?.outputs?.revision, 2)
    assert.equal(findResource(afterUp, 'kept')?.id, findResource(before, 'kept')?.id)
    for (const name of ['replacedAfter', 'replacedBefore']) {
      assert.notEqual(findResource(afterUp, name)?.id, findResource(before, name)?.id, `${name} replaced`)
    }
    const history = JSON.parse((await cli.run(['stack', 'history', '--json'])).stdout) as {
      resourceChanges?: Record<string, number>
    }[]
    // The history entry carries the CLI's own summary ("N unchanged"; it does not count the replaced ones).
    const unchanged = Number(/(\d+) unchanged/.exec(up.stdout)?.[1])
    assert.deepEqual(history[0]?.resourceChanges, { delete: 1, replace: 2, same: unchanged, update: 1 })
    const noop = await cli.run(['preview', '--expect-no-changes'])
    assert.equal(noop.code, 0)
  })

  it('refresh keeps the state and enters history as a refresh', async () => {
    const before = await exportStack()
    await cli.run(['refresh', '--yes', '--skip-preview'])
    const afterRefresh = await exportStack()
    assert.deepEqual(resourceNames(afterRefresh), resourceNames(before))
    const history = JSON.parse((await cli.run(['stack', 'history', '--json'])).stdout) as { kind: string }[]
    assert.equal(history[0]?.kind, 'refresh')
  })

  it('up --target changes only the targeted resource', async () => {
    const resources = { ...initial.resources }
    delete resources.doomed
    resources.kept = item('v3')
    resources.secretive = item('s2', { secret: 'hunter2' })
    resources.replacedAfter = item('r', { replaceKey: 'k2' })
    resources.replacedBefore = item('r', { replaceKey: 'k2' }, { deleteBeforeReplace: true })
    cli.writeProject(program(resources, initial.outputs))
    const kept = findResource(await exportStack(), 'kept')
    await cli.run([...UP, '--target', kept?.urn ?? ''])
    const afterUp = await exportStack()
    assert.equal(findResource(afterUp, 'kept')?.outputs?.value, 'v3')
    assert.equal(findResource(afterUp, 'secretive')?.outputs?.value, 's')
    await cli.run(UP)
    assert.equal(findResource(await exportStack(), 'secretive')?.outputs?.value, 's2')
  })

  it('import adopts an existing resource', async () => {
    const imported = await cli.run([
      'import',
      'testprov:index:Item',
      'adopted',
      'ext-42',
      '--yes',
      '--skip-preview',
    ])
    assert.match(imported.stdout, /1 imported/)
    const resource = findResource(await exportStack(), 'adopted')
    assert.equal(resource?.id, 'ext-42')
    assert.equal(resource?.outputs?.value, 'ext-42')
    assert.equal(resource?.protect, true, 'the CLI protects what it imports')
  })

  it('state delete / rename / unprotect', async () => {
    const exported = await exportStack()
    const adopted = findResource(exported, 'adopted')?.urn ?? ''
    const refused = await cli.run(['state', 'delete', adopted, '--yes'], { allowFailure: true })
    assert.match(refused.stderr, /can't be safely deleted because it is protected/)
    await cli.run(['state', 'unprotect', adopted, '--yes'])
    await cli.run(['state', 'delete', adopted, '--yes'])
    const doomedGroup = findResource(exported, 'kept')?.urn ?? ''
    await cli.run(['state', 'rename', doomedGroup, 'renamed', '--yes'])
    const guarded = findResource(exported, 'guarded')?.urn ?? ''
    await cli.run(['state', 'unprotect', guarded, '--yes'])
    const afterEdits = await exportStack()
    assert.equal(findResource(afterEdits, 'adopted'), undefined)
    assert.equal(findResource(afterEdits, 'kept'), undefined)
    assert.equal(findResource(afterEdits, 'renamed')?.id, findResource(exported, 'kept')?.id)
    assert.notEqual(findResource(afterEdits, 'guarded')?.protect, true)
  })

  it('stack export --show-secrets then stack import round-trips', async () => {
    const shown = await exportStack(['--show-secrets'])
    const file = join(cli.dir, 'state.json')
    writeFileSync(file, JSON.stringify(shown))
    await cli.run(['stack', 'import', '--file', file])
    const reimported = await exportStack(['--show-secrets'])
    assert.deepEqual(stripVolatile(reimported), stripVolatile(shown))
    const masked = await exportStack()
    assert.ok(!JSON.stringify(masked).includes('hunter2'), 'imported plaintext secrets are stored encrypted')
  })

  it('destroy refuses a protected resource, then removes everything', async () => {
    cli.writeProject(program({ ...initial.resources, kept: item('v3') }, initial.outputs))
    const protectedRun = await cli.run(['up', '--yes', '--skip-preview'])
    assert.equal(protectedRun.code, 0)
    await cli.run(['state', 'protect', findResource(await exportStack(), 'guarded')?.urn ?? '', '--yes'])
    const refused = await cli.run(['destroy', '--yes', '--skip-preview'], { allowFailure: true })
    assert.notEqual(refused.code, 0)
    assert.match(refused.stdout + refused.stderr, /protected/)
    await cli.run(['state', 'unprotect', '--all', '--yes'])
    const destroyed = await cli.run(['destroy', '--yes', '--skip-preview'])
    assert.match(destroyed.stdout, /deleted/)
    assert.deepEqual((await exportStack()).deployment.resources ?? [], [])
  })
})

/** A deployment without the fields that legitimately change on import (timestamps, the manifest). */
function stripVolatile(deployment: Deployment): unknown {
  return (deployment.deployment.resources ?? []).map(
    ({ urn, type, id, outputs, inputs, parent, protect }) => ({
      urn,
      type,
      id,
      outputs,
      inputs,
      parent,
      protect,
    }),
  )
}
