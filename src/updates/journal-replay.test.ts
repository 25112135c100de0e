import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { Value } from 'typebox/value'
import type { DeploymentV3, OperationV2, ResourceV3, UntypedDeployment } from '../apitype/core.js'
import { JournalEntriesSchema, type JournalEntry, JournalEntryKind as K } from '../apitype/journal.js'
import { InvalidError } from '../errors.js'
import { parseJournalEntries } from './journal-entries.js'
import { JournalReplayer } from './journal-replay.js'

const NOW = new Date('2026-08-21T10:00:01.120Z')
const CLI_VERSION = '3.200.0'
const OPTS = { now: NOW, cliVersion: CLI_VERSION }
const MAGIC = createHash('sha256').update(CLI_VERSION).digest('hex')
const MANIFEST = { time: '2026-08-21T10:00:01.12Z', magic: MAGIC, version: CLI_VERSION }

const STACK_URN = 'urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev'
const urn = (name: string, type = 'pkgA:m:typA') => `urn:pulumi:dev::proj::${type}::${name}`
const PROVIDER_URN = urn('default_1_0_0', 'pulumi:providers:pkgA')
const PROVIDER_REF = `${PROVIDER_URN}::prov-id`

function res(name: string, extra: Partial<ResourceV3> = {}): ResourceV3 {
  return { urn: urn(name), custom: true, type: 'pkgA:m:typA', id: `id-${name}`, ...extra }
}

function op(type: string, resource: ResourceV3): OperationV2 {
  return { resource, type }
}

/** Builds entries with increasing sequence IDs, in the shape SerializeJournalEntry produces. */
function journal() {
  let seq = 0
  return (kind: number, operationID: number, fields: Partial<JournalEntry> = {}): JournalEntry => ({
    version: 1,
    kind: kind as JournalEntry['kind'],
    sequenceID: ++seq,
    operationID,
    removeOld: null,
    removeNew: null,
    ...fields,
  })
}

function base(resources: ResourceV3[], extra: Partial<DeploymentV3> = {}): UntypedDeployment {
  return {
    version: 3,
    deployment: {
      manifest: { time: '2026-01-01T00:00:00Z', magic: 'old', version: '3.0.0' },
      resources,
      metadata: {},
      ...extra,
    },
  }
}

function replay(from: UntypedDeployment | undefined, entries: JournalEntry[]): UntypedDeployment {
  const r = new JournalReplayer(from)
  for (const entry of entries) r.add(entry)
  return r.generate(OPTS)
}

function dep(u: UntypedDeployment): DeploymentV3 {
  assert.ok(u.deployment)
  return u.deployment
}

function resources(u: UntypedDeployment): ResourceV3[] {
  return dep(u).resources ?? []
}

function urns(u: UntypedDeployment): string[] {
  return resources(u).map((r) => r.urn)
}

function find(u: UntypedDeployment, name: string): ResourceV3 {
  const found = resources(u).find((r) => r.urn === urn(name))
  assert.ok(found, `resource ${name} not found`)
  return found
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T

describe('JournalReplayer: envelope', () => {
  it('an empty journal on no base yields an empty version-3 deployment with manifest and metadata', () => {
    assert.deepEqual(replay(undefined, []), { version: 3, deployment: { manifest: MANIFEST, metadata: {} } })
    assert.deepEqual(replay({}, []), { version: 3, deployment: { manifest: MANIFEST, metadata: {} } })
  })

  it('formats the manifest like Go (RFC3339Nano, sha256 magic, empty magic for empty version)', () => {
    const r = new JournalReplayer(undefined)
    const whole = r.generate({ now: new Date('2026-08-21T10:00:01.000Z'), cliVersion: '' })
    assert.deepEqual(dep(whole).manifest, { time: '2026-08-21T10:00:01Z', magic: '', version: '' })
    const tenth = r.generate({ now: new Date('2026-08-21T10:00:00.100Z'), cliVersion: 'v3.1.0' })
    assert.equal(dep(tenth).manifest?.time, '2026-08-21T10:00:00.1Z')
    assert.equal(dep(tenth).manifest?.magic, createHash('sha256').update('v3.1.0').digest('hex'))
  })

  it('replaces the base manifest, keeps metadata, ignores base version/features and drops plugins', () => {
    const b = base([res('a')], { metadata: { integrity_error: { error: 'x' } } })
    b.version = 4
    b.features = ['taint']
    const out = replay(b, [])
    assert.equal(out.version, 3)
    assert.equal(out.features, undefined)
    assert.deepEqual(dep(out).manifest, MANIFEST)
    assert.deepEqual(dep(out).metadata, { integrity_error: { error: 'x' } })
    assert.deepEqual(Object.keys(out), ['version', 'deployment'])
  })

  it('replays the protocol §7.3 example batch', () => {
    const j = journal()
    const stack: ResourceV3 = {
      urn: STACK_URN,
      custom: false,
      type: 'pulumi:pulumi:Stack',
      created: '2026-08-21T10:00:01Z',
      modified: '2026-08-21T10:00:01Z',
    }
    const provider: ResourceV3 = {
      urn: PROVIDER_URN,
      custom: true,
      id: 'prov-id',
      type: 'pulumi:providers:pkgA',
      inputs: { version: '1.0.0' },
      outputs: { version: '1.0.0' },
    }
    const pet = res('pet', { parent: STACK_URN, provider: PROVIDER_REF })
    const secrets = {
      type: 'service',
      state: { url: 'http://localhost:8080', owner: 'acme', project: 'proj', stack: 'dev' },
    }
    const stackWithOutputs = { ...stack, outputs: { name: 'fond-gull' } }
    const out = replay(undefined, [
      j(K.SecretsManager, 0, { secretsProvider: secrets }),
      j(K.Begin, 1, {
        operation: op('creating', { urn: STACK_URN, custom: false, type: 'pulumi:pulumi:Stack' }),
      }),
      j(K.Success, 1, { state: stack }),
      j(K.Begin, 2, { operation: op('creating', provider) }),
      j(K.Success, 2, { state: provider }),
      j(K.Begin, 3, { operation: op('creating', pet) }),
      j(K.Success, 3, { state: pet }),
      j(K.Outputs, 4, { removeNew: 1, state: stackWithOutputs }),
    ])
    assert.deepEqual(out, {
      version: 3,
      deployment: {
        manifest: MANIFEST,
        secrets_providers: secrets,
        resources: [stackWithOutputs, provider, pet],
        metadata: {},
      },
    })
  })
})

describe('JournalReplayer: steps', () => {
  it('create, update, same and delete against a base', () => {
    const j = journal()
    const b = base([res('a'), res('b'), res('c'), res('d')])
    const a2 = res('a', { outputs: { v: 2 } })
    const b2 = res('b', { outputs: { same: true } })
    const e = res('e')
    const out = replay(b, [
      // update a (base index 0)
      j(K.Begin, 1, { operation: op('updating', a2) }),
      j(K.Success, 1, { removeOld: 0, state: a2 }),
      // same b (Begin without operation)
      j(K.Begin, 2),
      j(K.Success, 2, { removeOld: 1, state: b2 }),
      // delete c
      j(K.Begin, 3, { operation: op('deleting', res('c')) }),
      j(K.Success, 3, { removeOld: 2 }),
      // create e
      j(K.Begin, 4, { operation: op('creating', e) }),
      j(K.Success, 4, { state: e }),
    ])
    // New states in journal order, then the untouched base resources in base order.
    assert.deepEqual(resources(out), [a2, b2, e, res('d')])
    assert.equal(dep(out).pending_operations, undefined)
  })

  it('replace (create-replacement then delete-replaced) marks the old resource delete until it is gone', () => {
    const j = journal()
    const r = new JournalReplayer(base([res('x'), res('a')]))
    const a2 = res('a', { id: 'id-a2' })
    r.add(j(K.Begin, 1, { operation: op('creating', a2) }))
    r.add(j(K.Success, 1, { state: a2, deleteOld: 1 }))
    const mid = r.generate(OPTS)
    assert.deepEqual(resources(mid), [a2, res('x'), { ...res('a'), delete: true }])
    r.add(j(K.Begin, 2, { operation: op('deleting', { ...res('a'), delete: true }) }))
    r.add(j(K.Success, 2, { removeOld: 1 }))
    assert.deepEqual(resources(r.generate(OPTS)), [a2, res('x')])
  })

  it('replacing a resource created in this update uses deleteNew/removeNew and never writes into entries', () => {
    const j = journal()
    const x1 = res('x', { id: 'id-1' })
    const x2 = res('x', { id: 'id-2' })
    const created = j(K.Success, 1, { state: x1 })
    const before = clone(created)
    const r = new JournalReplayer(undefined)
    r.add(j(K.Begin, 1, { operation: op('creating', x1) }))
    r.add(created)
    r.add(j(K.Begin, 2, { operation: op('creating', x2) }))
    r.add(j(K.Success, 2, { state: x2, deleteNew: 1 }))
    assert.deepEqual(resources(r.generate(OPTS)), [{ ...x1, delete: true }, x2])
    r.add(j(K.Begin, 3, { operation: op('deleting', x1) }))
    r.add(j(K.Success, 3, { removeNew: 1 }))
    assert.deepEqual(resources(r.generate(OPTS)), [x2])
    assert.deepEqual(created, before)
  })

  it('a resource created and then deleted in the same update (removeNew) disappears', () => {
    const j = journal()
    const out = replay(base([res('old')]), [
      j(K.Begin, 1, { operation: op('creating', res('tmp')) }),
      j(K.Success, 1, { state: res('tmp') }),
      j(K.Begin, 2, { operation: op('deleting', res('tmp')) }),
      j(K.Success, 2, { removeNew: 1 }),
    ])
    assert.deepEqual(urns(out), [urn('old')])
  })

  it('delete-before-replace: pendingReplacementOld marks the base resource, the replacement removes it', () => {
    const j = journal()
    const r = new JournalReplayer(base([res('a')]))
    r.add(j(K.Begin, 1, { operation: op('deleting', res('a')) }))
    r.add(j(K.Success, 1, { pendingReplacementOld: 0 }))
    assert.deepEqual(resources(r.generate(OPTS)), [{ ...res('a'), pendingReplacement: true }])
    const a2 = res('a', { id: 'id-new' })
    r.add(j(K.Begin, 2, { operation: op('creating', a2) }))
    r.add(j(K.Success, 2, { state: a2, removeOld: 0 }))
    assert.deepEqual(resources(r.generate(OPTS)), [a2])
  })

  it('delete-before-replace of a resource created in this update uses pendingReplacementNew', () => {
    const j = journal()
    const a1 = res('a')
    const out = replay(undefined, [
      j(K.Success, 1, { state: a1 }),
      j(K.Begin, 2, { operation: op('deleting', a1) }),
      j(K.Success, 2, { pendingReplacementNew: 1 }),
    ])
    assert.deepEqual(resources(out), [{ ...a1, pendingReplacement: true }])
    assert.equal(a1.pendingReplacement, undefined)
  })

  it('remove-pending-replace removes the base resource', () => {
    const j = journal()
    const out = replay(base([res('a', { pendingReplacement: true }), res('b')]), [
      j(K.Begin, 1),
      j(K.Success, 1, { removeOld: 0 }),
    ])
    assert.deepEqual(urns(out), [urn('b')])
  })

  it('import-replacement marks the original with deleteOld', () => {
    const j = journal()
    const imported = res('a', { id: 'imported', importID: 'imported' })
    const out = replay(base([res('a')]), [
      j(K.Begin, 1, { operation: op('importing', imported) }),
      j(K.Success, 1, { state: imported, deleteOld: 0 }),
    ])
    assert.deepEqual(resources(out), [imported, { ...res('a'), delete: true }])
  })

  it('a replacement state wins over a pending-replacement mark, and a delete wins over a replacement', () => {
    const j = journal()
    const a2 = res('a', { outputs: { refreshed: true } })
    const out = replay(base([res('a'), res('b')]), [
      j(K.Success, 1, { pendingReplacementOld: 0 }),
      j(K.Outputs, 2, { removeOld: 0, state: a2 }),
      j(K.RefreshSuccess, 3, { removeOld: 1, state: res('b', { outputs: { x: 1 } }), isRefresh: true }),
      j(K.Success, 4, { removeOld: 1 }),
    ])
    assert.deepEqual(resources(out), [a2])
  })

  it('Failure entries only close the operation: their state and indices are ignored', () => {
    const j = journal()
    const out = replay(base([res('a')]), [
      j(K.Begin, 1, { operation: op('updating', res('a', { outputs: { v: 2 } })) }),
      j(K.Failure, 1, { state: res('a', { outputs: { v: 2 } }), removeOld: 0 }),
      j(K.Begin, 2, { operation: op('creating', res('b')) }),
      j(K.Failure, 2, { state: res('b'), deleteOld: 0 }),
    ])
    assert.deepEqual(resources(out), [res('a')])
    assert.equal(dep(out).pending_operations, undefined)
  })
})

describe('JournalReplayer: Outputs', () => {
  it('replaces a base resource in place (removeOld) and a new resource in its slot (removeNew)', () => {
    const j = journal()
    const stackOut = { urn: STACK_URN, custom: false, type: 'pulumi:pulumi:Stack', outputs: { a: 1 } }
    const c1 = res('c')
    const c2 = res('c', { outputs: { o: 'x' } })
    const out = replay(base([res('a'), { urn: STACK_URN, custom: false, type: 'pulumi:pulumi:Stack' }]), [
      j(K.Success, 1, { state: c1 }),
      j(K.Success, 2, { state: res('d') }),
      j(K.Outputs, 3, { removeNew: 1, state: c2 }),
      j(K.Outputs, 4, { removeOld: 1, state: stackOut }),
    ])
    assert.deepEqual(resources(out), [c2, res('d'), res('a'), stackOut])
  })

  it('does not touch pending operations, and is a no-op without state', () => {
    const j = journal()
    const out = replay(base([res('a')]), [
      j(K.Begin, 1, { operation: op('updating', res('a')) }),
      j(K.Outputs, 1, { removeOld: 0 }),
    ])
    assert.deepEqual(resources(out), [res('a')])
    assert.deepEqual(dep(out).pending_operations, [op('updating', res('a'))])
  })

  it('replacing a slot drops a delete flag set earlier, as Go does when the pointer is swapped', () => {
    const j = journal()
    const c2 = res('c', { outputs: { late: true } })
    const out = replay(undefined, [
      j(K.Success, 1, { state: res('c') }),
      j(K.Success, 2, { state: res('c', { id: 'id-c2' }), deleteNew: 1 }),
      j(K.Outputs, 3, { removeNew: 1, state: c2 }),
    ])
    assert.deepEqual(resources(out), [c2, res('c', { id: 'id-c2' })])
  })
})

describe('JournalReplayer: pending operations', () => {
  it('an interrupted update leaves its open operations (insertion order) then the base creating ones', () => {
    const j = journal()
    const creatingBase = op('creating', res('half-created'))
    const b = base([res('a'), res('b')], {
      pending_operations: [
        op('updating', res('a')),
        creatingBase,
        op('deleting', res('b')),
        op('importing', res('i')),
      ],
    })
    const newC = res('c')
    const a2 = res('a', { outputs: { v: 2 } })
    const out = replay(b, [
      j(K.Begin, 1, { operation: op('creating', newC) }),
      j(K.Begin, 2), // same step: no operation recorded
      j(K.Begin, 3, { operation: op('updating', a2) }),
      j(K.Begin, 4, { operation: op('deleting', res('b')) }),
      j(K.Failure, 4),
      j(K.Begin, 5, { operation: op('reading', res('r')) }),
      j(K.Success, 5, { state: res('r') }),
    ])
    assert.deepEqual(dep(out).pending_operations, [op('creating', newC), op('updating', a2), creatingBase])
    assert.deepEqual(urns(out), [urn('r'), urn('a'), urn('b')])
  })

  it('features of pending operation resources count', () => {
    const j = journal()
    const out = replay(undefined, [j(K.Begin, 1, { operation: op('creating', res('a', { taint: true })) })])
    assert.equal(out.version, 4)
    assert.deepEqual(out.features, ['taint'])
  })
})

describe('JournalReplayer: refresh', () => {
  it('a refresh that deletes a resource prunes dependencies, property dependencies, deletedWith and parents', () => {
    const j = journal()
    const b = base([
      res('parent'),
      res('gone', { parent: urn('parent') }),
      res('child', {
        parent: urn('gone'),
        dependencies: [urn('parent'), urn('gone')],
        propertyDependencies: { p: [urn('gone')], q: [urn('parent'), urn('gone')], e: [] },
        deletedWith: urn('gone'),
      }),
      res('keeps', { parent: urn('parent'), dependencies: [urn('gone')], deletedWith: urn('parent') }),
    ])
    const bBefore = clone(b)
    const out = replay(b, [j(K.Begin, 1), j(K.RefreshSuccess, 1, { removeOld: 1, isRefresh: true })])
    assert.deepEqual(resources(out), [
      res('parent'),
      res('child', { dependencies: [urn('parent')], propertyDependencies: { q: [urn('parent')] } }),
      res('keeps', { parent: urn('parent'), deletedWith: urn('parent') }),
    ])
    assert.deepEqual(b, bBefore)
  })

  it('ports TestJournalReplayerRefreshPrunesReplaceWith', () => {
    const j = journal()
    const dependent = res('dependent', { replaceWith: [urn('a'), urn('b')] })
    const out = replay(base([res('a'), res('b'), res('unrelated'), dependent]), [
      j(K.RefreshSuccess, 1, { removeOld: 1 }),
    ])
    assert.deepEqual(urns(out), [urn('a'), urn('unrelated'), urn('dependent')])
    assert.deepEqual(find(out, 'dependent').replaceWith, [urn('a')])
    assert.equal(find(out, 'unrelated').replaceWith, undefined)
    assert.deepEqual(out.features, ['replaceWith'])
  })

  it('features are computed before pruning: a replaceWith pruned to nothing still yields version 4', () => {
    const j = journal()
    const out = replay(base([res('b'), res('dependent', { replaceWith: [urn('b')] })]), [
      j(K.RefreshSuccess, 1, { removeOld: 0 }),
    ])
    assert.deepEqual(resources(out), [res('dependent')])
    assert.equal(out.version, 4)
    assert.deepEqual(out.features, ['replaceWith'])
  })

  it('only earlier resources are referenceable; a parent later in the list is kept', () => {
    const j = journal()
    const out = replay(base([res('a', { dependencies: [urn('b')], parent: urn('b') }), res('b')]), [
      j(K.RefreshSuccess, 1, { removeOld: 1, state: res('b', { outputs: { r: 1 } }) }),
    ])
    assert.deepEqual(resources(out), [res('a', { parent: urn('b') }), res('b', { outputs: { r: 1 } })])
  })

  it('RefreshSuccess with state replaces in place; without state on a new resource removes it', () => {
    const j = journal()
    const refreshedNew = res('n1', { outputs: { fresh: true } })
    const out = replay(base([res('a'), res('b')]), [
      j(K.Success, 1, { state: res('n1') }),
      j(K.Success, 2, { state: res('n2') }),
      j(K.RefreshSuccess, 3, { removeNew: 1, state: refreshedNew }),
      j(K.RefreshSuccess, 4, { removeNew: 2 }),
      j(K.RefreshSuccess, 5, { removeOld: 0, state: res('a', { outputs: { fresh: true } }) }),
    ])
    assert.deepEqual(resources(out), [refreshedNew, res('a', { outputs: { fresh: true } }), res('b')])
  })

  it('a persisted refresh (Success with isRefresh) appends the state and turns on the dependency rebuild', () => {
    const j = journal()
    const refreshed = res('a', { outputs: { r: 1 } })
    const out = replay(base([res('a'), res('b', { dependencies: [urn('zz')] })]), [
      j(K.Begin, 1),
      j(K.Success, 1, { state: refreshed, removeOld: 0, isRefresh: true }),
    ])
    assert.deepEqual(resources(out), [refreshed, res('b')])
  })

  it('without a refresh, dangling references are left alone', () => {
    const j = journal()
    const b = res('b', { dependencies: [urn('zz')], parent: urn('zz'), deletedWith: urn('zz') })
    const out = replay(base([b]), [j(K.Success, 1, { state: res('c', { dependencies: [urn('later')] }) })])
    assert.deepEqual(resources(out), [res('c', { dependencies: [urn('later')] }), b])
  })
})

describe('JournalReplayer: base-level entries', () => {
  it('Write replaces the base; later indices refer to the new base and the entry is not modified', () => {
    const j = journal()
    const newBase: DeploymentV3 = {
      manifest: { time: 't', magic: 'm', version: 'v' },
      resources: [res('p1'), res('p2')],
      pending_operations: [op('creating', res('pc'))],
      metadata: {},
    }
    const write = j(K.Write, 0, { newSnapshot: newBase })
    const before = clone(write)
    const r = new JournalReplayer(base([res('old1'), res('old2'), res('old3')]))
    r.add(write)
    r.add(j(K.SecretsManager, 0, { secretsProvider: { type: 'passphrase', state: { salt: 's' } } }))
    r.add(j(K.Success, 1, { removeOld: 1 }))
    const out = r.generate(OPTS)
    assert.deepEqual(urns(out), [urn('p1')])
    assert.deepEqual(dep(out).pending_operations, [op('creating', res('pc'))])
    assert.deepEqual(dep(out).secrets_providers, { type: 'passphrase', state: { salt: 's' } })
    assert.deepEqual(write, before)
  })

  it('SecretsManager keeps an identical base provider and replaces a different one', () => {
    const j = journal()
    const current = { type: 'service', state: { url: 'u', owner: 'o', project: 'p', stack: 's' } }
    const b = base([], { secrets_providers: current })
    const same = replay(b, [j(K.SecretsManager, 0, { secretsProvider: clone(current) })])
    assert.equal(dep(same).secrets_providers, current)
    const other = { type: 'service', state: { url: 'u2', owner: 'o', project: 'p', stack: 's' } }
    const changed = replay(b, [j(K.SecretsManager, 0, { secretsProvider: other })])
    assert.equal(dep(changed).secrets_providers, other)
    assert.equal(b.deployment?.secrets_providers, current)
  })

  it('Snippets sets the list (feature snippets-prototype, version 4) and an empty entry clears it', () => {
    const j = journal()
    const snippet = { uuid: 'u1', name: 'n', type: 't', code: 'c', descriptor: { name: 'pkgA' } }
    const out = replay(undefined, [j(K.Snippets, 0, { snippets: [snippet] })])
    assert.deepEqual(dep(out).snippets, [snippet])
    assert.equal(out.version, 4)
    assert.deepEqual(out.features, ['snippets-prototype'])
    const cleared = replay(base([], { snippets: [snippet] }), [j(K.Snippets, 0)])
    assert.equal(dep(cleared).snippets, undefined)
    assert.equal(cleared.version, 3)
  })

  it('ports TestJournalExtensionParameterizeRoundTrip', () => {
    const j = journal()
    const ext = { name: 'myext', version: '1.0.0', value: 'SGVsbG8=' }
    const out = replay({}, [j(K.ExtensionParameterize, 1, { extensionRef: 'ref-1', extension: ext })])
    assert.deepEqual(dep(out).extensions, { 'ref-1': ext })
    assert.equal(out.version, 3)
  })

  it('ports TestJournalReplayerSeedsExtensionsFromBase; the base wins on a clash; keys are sorted', () => {
    const j = journal()
    const baseExt = { name: 'base-ext', version: '1.0.0', value: 'YmFzZWxpbmU=' }
    const b = base([], { extensions: { 'z-ref': baseExt, shared: baseExt } })
    assert.deepEqual(dep(replay(b, [])).extensions, { shared: baseExt, 'z-ref': baseExt })
    const mine = { name: 'mine', version: '2.0.0', value: '' }
    const out = replay(b, [
      j(K.ExtensionParameterize, 1, { extensionRef: 'shared', extension: mine }),
      j(K.ExtensionParameterize, 2, { extensionRef: 'a-ref', extension: mine }),
    ])
    assert.deepEqual(Object.keys(dep(out).extensions ?? {}), ['a-ref', 'shared', 'z-ref'])
    assert.deepEqual(dep(out).extensions, { 'a-ref': mine, shared: baseExt, 'z-ref': baseExt })
  })
})

describe('JournalReplayer: RebuiltBaseState', () => {
  it('after a refresh phase, indices refer to the rebuilt base', () => {
    const j = journal()
    const a2 = res('a', { outputs: { refreshed: true } })
    const r = new JournalReplayer(
      base([res('a'), res('b'), res('c', { dependencies: [urn('b')] })], {
        pending_operations: [op('creating', res('pc'))],
      }),
    )
    r.add(j(K.Begin, 1))
    r.add(j(K.RefreshSuccess, 1, { removeOld: 0, state: a2, isRefresh: true }))
    r.add(j(K.Begin, 2))
    r.add(j(K.RefreshSuccess, 2, { removeOld: 1, isRefresh: true }))
    r.add(j(K.Begin, 3, { operation: op('updating', res('c')) })) // left open across the rebuild
    r.add(
      j(K.ExtensionParameterize, 4, { extensionRef: 'e', extension: { name: 'x', version: '1', value: '' } }),
    )
    r.add(j(K.RebuiltBaseState, 0))
    // Rebuilt base: [a2, c (deps pruned)], pending: [updating c, creating pc].
    const c2 = res('c', { outputs: { v: 2 } })
    r.add(j(K.Begin, 5, { operation: op('updating', c2) }))
    r.add(j(K.Success, 5, { removeOld: 1, state: c2 }))
    const out = r.generate(OPTS)
    assert.deepEqual(resources(out), [c2, a2])
    // The open "updating" op became a base pending op and is therefore dropped; creating ops survive.
    assert.deepEqual(dep(out).pending_operations, [op('creating', res('pc'))])
    assert.deepEqual(Object.keys(dep(out).extensions ?? {}), ['e'])
  })

  it('equals the state before it when nothing follows', () => {
    const j = journal()
    const entries = [
      j(K.Success, 1, { state: res('n'), isRefresh: true }),
      j(K.Begin, 2, { operation: op('creating', res('p')) }),
      j(K.RefreshSuccess, 3, { removeOld: 0 }),
    ]
    const b = base([res('a'), res('b', { dependencies: [urn('a')] })])
    const plain = replay(b, entries)
    const rebuilt = replay(b, [...entries, j(K.RebuiltBaseState, 0)])
    assert.deepEqual(rebuilt, plain)
  })

  it("keeps Go's index counter: a new resource from before the rebuild shifts later lookups", () => {
    // journal.go does not reset `index` on RebuiltBaseState (protocol.md §7.5 suggests resetting it). The engine
    // never sends entries after such a rebuild, but if it did, Go's lookups would be off by the count.
    const j = journal()
    const r = new JournalReplayer(undefined)
    r.add(j(K.Success, 1, { state: res('persisted'), isRefresh: true }))
    r.add(j(K.RebuiltBaseState, 0))
    r.add(j(K.Success, 2, { state: res('after') })) // Go index 1, list position 0
    assert.throws(() => r.add(j(K.Success, 3, { deleteNew: 2 })), InvalidError)
    // removeNew resolves to index 1, which is past the end: nothing is removed (as in Go).
    r.add(j(K.Success, 4, { removeNew: 2 }))
    assert.deepEqual(urns(r.generate(OPTS)), [urn('after'), urn('persisted')])
  })
})

describe('JournalReplayer: features and versions', () => {
  const cases: Array<[string, Partial<ResourceV3>]> = [
    ['refreshBeforeUpdate', { refreshBeforeUpdate: true }],
    ['views', { viewOf: urn('owner') }],
    ['hooks', { resourceHooks: { beforeCreate: ['h'] } }],
    ['taint', { taint: true }],
    ['replaceWith', { replaceWith: [urn('z')] }],
    ['extensionParameterization', { extensionRef: 'ref' }],
    ['snippets-prototype', { snippetID: 'snip' }],
  ]
  for (const [feature, fields] of cases) {
    it(`${feature} makes version 4`, () => {
      const out = replay(base([res('a', fields)]), [])
      assert.equal(out.version, 4)
      assert.deepEqual(out.features, [feature])
    })
  }

  it('empty or false values do not count', () => {
    const out = replay(
      base([
        res('a', {
          refreshBeforeUpdate: false,
          viewOf: '',
          resourceHooks: {},
          taint: false,
          replaceWith: [],
        }),
      ]),
      [],
    )
    assert.equal(out.version, 3)
    assert.equal(out.features, undefined)
  })

  it('requiresByteString adds byteString only when some resource or operation is emitted', () => {
    const j = journal()
    const withRes = replay(undefined, [j(K.Success, 1, { state: res('a'), requiresByteString: true })])
    assert.deepEqual(withRes.features, ['byteString'])
    assert.equal(withRes.version, 4)
    const j2 = journal()
    const none = replay(undefined, [
      j2(K.Success, 1, { state: res('a'), requiresByteString: true }),
      j2(K.Success, 2, { removeNew: 1 }),
    ])
    assert.equal(none.version, 3)
  })

  it('features are sorted and removed resources do not contribute', () => {
    const j = journal()
    const out = replay(base([res('a', { taint: true }), res('b', { viewOf: urn('a') })]), [
      j(K.Success, 1, { state: res('n', { refreshBeforeUpdate: true, resourceHooks: { x: ['y'] } }) }),
      j(K.Success, 2, { state: res('gone', { replaceWith: [urn('a')] }) }),
      j(K.Success, 3, { removeNew: 2 }),
    ])
    assert.deepEqual(out.features, ['hooks', 'refreshBeforeUpdate', 'taint', 'views'])
  })
})

describe('JournalReplayer: URN normalisation', () => {
  it('rewrites references through aliases and drops aliases', () => {
    const j = journal()
    const oldProvider = urn('oldprov', 'pulumi:providers:pkgA')
    const renamed = res('new', { aliases: [urn('old')] })
    const newProvider: ResourceV3 = {
      urn: PROVIDER_URN,
      custom: true,
      type: 'pulumi:providers:pkgA',
      id: 'prov-id',
      aliases: [oldProvider],
    }
    const user = res('user', {
      provider: `${oldProvider}::prov-id`,
      dependencies: [urn('old'), urn('other')],
      propertyDependencies: { p: [urn('old')], q: [] },
      deletedWith: urn('old'),
      viewOf: urn('old'),
      replaceWith: [urn('old')],
    })
    const snippet = {
      uuid: 'u',
      name: 'n',
      type: 't',
      code: 'c',
      descriptor: {},
      references: { r: urn('old'), s: 'x' },
    }
    const b = base([res('old'), user], { snippets: [snippet] })
    const bBefore = clone(b)
    const out = replay(b, [
      j(K.Success, 1, { state: newProvider }),
      j(K.Success, 2, { state: renamed, removeOld: 0 }),
    ])
    assert.deepEqual(resources(out), [
      { urn: PROVIDER_URN, custom: true, type: 'pulumi:providers:pkgA', id: 'prov-id' },
      res('new'),
      res('user', {
        provider: PROVIDER_REF,
        dependencies: [urn('new'), urn('other')],
        propertyDependencies: { p: [urn('new')], q: [] },
        deletedWith: urn('new'),
        viewOf: urn('new'),
        // replaceWith is not rewritten by NormalizeURNReferences.
        replaceWith: [urn('old')],
      }),
    ])
    assert.deepEqual(dep(out).snippets, [{ ...snippet, references: { r: urn('new'), s: 'x' } }])
    assert.deepEqual(b, bBefore)
  })

  it('a child of a renamed component gets a URN under the parent’s new type', () => {
    const j = journal()
    const comp = (name: string, type: string, extra: Partial<ResourceV3> = {}): ResourceV3 => ({
      urn: urn(name, type),
      custom: false,
      type,
      ...extra,
    })
    const newParent = comp('p', 'my:new:Comp', { aliases: [urn('p', 'my:old:Comp')] })
    const child = res('c', { parent: urn('p', 'my:old:Comp') })
    child.urn = urn('c', 'my:old:Comp$pkgA:m:typA')
    const dependent = res('d', { dependencies: [child.urn] })
    const out = replay(base([]), [
      j(K.Success, 1, { state: newParent }),
      j(K.Success, 2, { state: child }),
      j(K.Success, 3, { state: dependent }),
    ])
    const childURN = urn('c', 'my:new:Comp$pkgA:m:typA')
    assert.deepEqual(urns(out), [urn('p', 'my:new:Comp'), childURN, urn('d')])
    assert.equal(resources(out)[1]?.parent, urn('p', 'my:new:Comp'))
    assert.deepEqual(resources(out)[2]?.dependencies, [childURN])
  })

  it('children of a renamed root stack keep their URN', () => {
    const j = journal()
    const oldStack = 'urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-old'
    const stack = { urn: STACK_URN, custom: false, type: 'pulumi:pulumi:Stack', aliases: [oldStack] }
    const out = replay(base([]), [
      j(K.Success, 1, { state: stack }),
      j(K.Success, 2, { state: res('c', { parent: oldStack }) }),
    ])
    assert.deepEqual(resources(out)[1], res('c', { parent: STACK_URN }))
  })

  it('an empty provider ID becomes the unknown ID', () => {
    const out = replay(base([res('a', { provider: `${PROVIDER_URN}::` })]), [])
    assert.equal(resources(out)[0]?.provider, `${PROVIDER_URN}::04da6b54-80e4-46f7-96ec-b56ff0331ba9`)
  })

  it('two resources claiming the same alias, or a malformed provider reference, are errors', () => {
    const j = journal()
    const r = new JournalReplayer(undefined)
    r.add(j(K.Success, 1, { state: res('x', { aliases: [urn('old')] }) }))
    r.add(j(K.Success, 2, { state: res('y', { aliases: [urn('old')] }) }))
    assert.throws(() => r.generate(OPTS), /have the same alias/)
    assert.throws(() => replay(base([res('a', { provider: 'no-separator' })]), []), InvalidError)
    assert.throws(() => replay(base([res('a', { provider: `${urn('notprov')}::id` })]), []), InvalidError)
  })
})

describe('JournalReplayer: protocol violations', () => {
  const cases: Array<[string, (j: ReturnType<typeof journal>) => JournalEntry]> = [
    ['unknown kind', (j) => j(42, 1)],
    ['removeNew without producer', (j) => j(K.Success, 2, { removeNew: 99 })],
    ['deleteNew without producer', (j) => j(K.Success, 2, { deleteNew: 99 })],
    ['pendingReplacementNew without producer', (j) => j(K.Success, 2, { pendingReplacementNew: 99 })],
    ['RefreshSuccess removeNew without producer', (j) => j(K.RefreshSuccess, 2, { removeNew: 99 })],
    ['Outputs removeNew without producer', (j) => j(K.Outputs, 2, { removeNew: 99, state: res('a') })],
    ['Write without snapshot', (j) => j(K.Write, 0)],
    ['SecretsManager without provider', (j) => j(K.SecretsManager, 0)],
    ['ExtensionParameterize without extension', (j) => j(K.ExtensionParameterize, 3, { extensionRef: 'r' })],
  ]
  for (const [name, make] of cases) {
    it(`${name} throws InvalidError and leaves the replayer unchanged`, () => {
      const j = journal()
      const r = new JournalReplayer(base([res('a')]))
      r.add(j(K.Begin, 1, { operation: op('creating', res('n')) }))
      r.add(j(K.Success, 1, { state: res('n') }))
      const before = r.generate(OPTS)
      assert.throws(() => r.add(make(j)), InvalidError)
      assert.deepEqual(r.generate(OPTS), before)
      assert.equal(r.lastSequenceID, 2)
    })
  }

  it('an Outputs entry without state does not need a producer (Go never looks it up)', () => {
    const j = journal()
    const r = new JournalReplayer(undefined)
    r.add(j(K.Outputs, 1, { removeNew: 99 }))
    assert.deepEqual(urns(r.generate(OPTS)), [])
  })
})

describe('JournalReplayer: purity and cost', () => {
  it('generate mutates neither the base nor the entries, and is repeatable', () => {
    const j = journal()
    const b = base(
      [
        res('a', { aliases: [urn('a0')], dependencies: [urn('gone')] }),
        res('gone'),
        res('b', {
          parent: urn('gone'),
          dependencies: [urn('a0')],
          propertyDependencies: { x: [urn('a0')] },
        }),
      ],
      { pending_operations: [op('creating', res('p'))], secrets_providers: { type: 's' } },
    )
    const entries = [
      j(K.Success, 1, { state: res('n', { aliases: [urn('n0')], parent: urn('gone') }) }),
      j(K.Success, 2, { deleteOld: 0 }),
      j(K.Success, 3, { pendingReplacementOld: 2 }),
      j(K.RefreshSuccess, 4, { removeOld: 1 }),
      j(K.Begin, 5, { operation: op('updating', res('b')) }),
    ]
    const bBefore = clone(b)
    const entriesBefore = clone(entries)
    const r = new JournalReplayer(b)
    for (const e of entries) r.add(e)
    const first = r.generate(OPTS)
    const second = r.generate(OPTS)
    assert.deepEqual(second, first)
    assert.deepEqual(b, bBefore)
    assert.deepEqual(entries, entriesBefore)
    // The rebuild runs before alias normalisation, so b's reference through alias a0 is pruned (as in Go).
    assert.deepEqual(resources(first), [
      res('n'),
      res('a', { delete: true }),
      res('b', { pendingReplacement: true }),
    ])
    assert.deepEqual(dep(first).pending_operations, [op('updating', res('b')), op('creating', res('p'))])
  })

  it('add keeps entry states by reference and generate reuses unchanged objects', () => {
    const j = journal()
    const big = res('big', { outputs: { blob: 'x'.repeat(16_000) } })
    const baseRes = res('a')
    const r = new JournalReplayer(base([baseRes]))
    r.add(j(K.Success, 1, { state: big }))
    const out = r.generate(OPTS)
    assert.equal(resources(out)[0], big)
    assert.equal(resources(out)[1], baseRes)
  })

  it('handles thousands of entries with large states quickly', () => {
    const j = journal()
    const blob = 'y'.repeat(16_000)
    const r = new JournalReplayer(undefined)
    for (let i = 1; i <= 5000; i++) {
      r.add(j(K.Begin, i, { operation: op('creating', res(`r${i}`)) }))
      r.add(j(K.Success, i, { state: res(`r${i}`, { outputs: { blob } }) }))
    }
    const out = r.generate(OPTS)
    assert.equal(resources(out).length, 5000)
  })
})

describe('parseJournalEntries', () => {
  const valid = {
    version: 1,
    kind: 1,
    sequenceID: 3,
    operationID: 1,
    removeOld: null,
    removeNew: 2,
    state: res('a'),
  }

  it('accepts the JournalEntries body, a bare array, and a body without entries', () => {
    assert.deepEqual(parseJournalEntries({ entries: [valid] }), [valid])
    assert.deepEqual(parseJournalEntries([valid]), [valid])
    assert.deepEqual(parseJournalEntries({}), [])
    assert.deepEqual(parseJournalEntries({ entries: null }), [])
  })

  it('treats nulls as absent, defaults removeOld/removeNew to null and keeps unknown state fields', () => {
    const [entry] = parseJournalEntries({
      entries: [
        {
          version: 1,
          kind: 0,
          sequenceID: 1,
          operationID: 1,
          deleteOld: null,
          state: null,
          isRefresh: null,
          operation: op('creating', { ...res('a'), futureField: { x: 1 } }),
          unknownTopLevel: true,
        },
      ],
    })
    assert.deepEqual(entry, {
      version: 1,
      kind: 0,
      sequenceID: 1,
      operationID: 1,
      removeOld: null,
      removeNew: null,
      operation: op('creating', { ...res('a'), futureField: { x: 1 } }),
    })
  })

  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['version', { version: 2 }, /journal entry 1: version must be 1/],
    ['kind too large', { kind: 10 }, /journal entry 1: kind must be an integer between 0 and 9/],
    ['kind fractional', { kind: 1.5 }, /kind must be an integer/],
    ['kind string', { kind: '1' }, /kind must be an integer/],
    ['sequenceID zero', { sequenceID: 0 }, /journal entry 1: sequenceID must be a positive integer/],
    ['operationID string', { operationID: '1' }, /operationID must be an integer/],
    ['removeOld float', { removeOld: 0.5 }, /removeOld must be an integer/],
    ['deleteNew string', { deleteNew: 'x' }, /deleteNew must be an integer/],
    ['state array', { state: [] }, /journal entry 1: state: must be an object/],
    ['state without urn', { state: { custom: true } }, /state: urn must be a string/],
    [
      'bad dependencies',
      { state: { ...res('a'), dependencies: [1] } },
      /dependencies must be an array of strings/,
    ],
    [
      'bad propertyDependencies',
      { state: { ...res('a'), propertyDependencies: { p: 'x' } } },
      /propertyDependencies/,
    ],
    ['bad operation', { kind: 0, operation: { type: 'creating' } }, /operation: resource: must be an object/],
    ['isRefresh string', { isRefresh: 'yes' }, /isRefresh must be a boolean/],
    [
      'Write without snapshot',
      { kind: 5, operationID: 0, state: undefined },
      /Write entry needs "newSnapshot"/,
    ],
    [
      'bad snapshot resources',
      { kind: 5, newSnapshot: { resources: [{}] } },
      /newSnapshot: resources\[0\]: urn/,
    ],
    ['SecretsManager without provider', { kind: 6 }, /SecretsManager entry needs "secretsProvider"/],
    ['ExtensionParameterize without ref', { kind: 8, extension: {} }, /needs "extensionRef" and "extension"/],
    ['snippet references', { kind: 9, snippets: [{ references: { a: 1 } }] }, /snippets\[0\]: references/],
  ]
  for (const [name, patch, message] of bad) {
    it(`rejects ${name}, naming the entry index`, () => {
      const body = { entries: [valid, { ...valid, ...patch }] }
      assert.throws(
        () => parseJournalEntries(body),
        (err: unknown) => err instanceof InvalidError && message.test(err.message),
      )
    })
  }

  it('rejects a body that is not an object or whose entries is not an array', () => {
    assert.throws(() => parseJournalEntries('x'), InvalidError)
    assert.throws(() => parseJournalEntries({ entries: {} }), InvalidError)
    assert.throws(() => parseJournalEntries({ entries: [null] }), /journal entry 0: must be an object/)
  })

  it('the TypeBox body schema accepts what the CLI sends and tolerates unknown keys', () => {
    assert.ok(Value.Check(JournalEntriesSchema, { entries: [valid, { ...valid, newKey: 1 }] }))
    assert.ok(Value.Check(JournalEntriesSchema, {}))
    assert.ok(!Value.Check(JournalEntriesSchema, { entries: [{ ...valid, kind: 12 }] }))
  })
})

describe('JournalReplayer: null lists in real states', () => {
  // Real exports carry `"dependencies": null` and `"propertyDependencies": {"p": null}` (Go writes nil slices in
  // maps as null and decodes null as empty); they must replay, including through the refresh dependency rebuild.
  it('accepts null lists and treats them as empty when rebuilding dependencies', () => {
    const a = res('a', { dependencies: null, propertyDependencies: { p: null, q: [STACK_URN] } })
    const j = journal()
    const entries = [j(0, 1), j(3, 1, { removeOld: 0, state: a, isRefresh: true }), j(7, 0)]
    for (const entry of entries) parseJournalEntries({ entries: [entry] })
    const out = find(replay(base([a]), entries), 'a')
    assert.equal(out.dependencies, null)
    // The stack URN is not in the list, so q is pruned too and the emptied map disappears (Go rebuilds it).
    assert.equal(out.propertyDependencies, undefined)
  })
})
