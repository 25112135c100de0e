import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import type { ResourceV3, UntypedDeployment } from '../apitype/core.js'
import { InvalidError } from '../errors.js'
import { parseProviderReference, UNKNOWN_PROVIDER_ID } from './provider-reference.js'
import {
  RESOURCE_REFERENCE_SIG,
  renameDeployment,
  renameUrn,
  SECRET_SIG,
  SIG_KEY,
  type StackIdentity,
} from './rename-deployment.js'
import { formatUrn, parseUrn } from './urn.js'

const fixturesDir = new URL('../../test/fixtures/states/', import.meta.url)
const fixtureNames = readdirSync(fixturesDir).filter((name) => name.endsWith('.json'))

function loadFixture(name: string): UntypedDeployment {
  return JSON.parse(readFileSync(new URL(name, fixturesDir), 'utf8')) as UntypedDeployment
}

function resourcesOf(state: UntypedDeployment): ResourceV3[] {
  return state.deployment?.resources ?? []
}

/** The fixture's own identity, read from its root stack resource. */
function identityOf(state: UntypedDeployment): StackIdentity {
  const root = resourcesOf(state).find((r) => r.type === 'pulumi:pulumi:Stack')
  const parts = parseUrn(root?.urn ?? '')
  assert.ok(parts)
  return { owner: 'acme', project: parts.project, stack: parts.stack }
}

/** Every object carrying the given signature, in document order. */
function collectSig(
  value: unknown,
  sig: string,
  out: Record<string, unknown>[] = [],
): Record<string, unknown>[] {
  if (Array.isArray(value)) {
    for (const v of value) collectSig(v, sig, out)
  } else if (typeof value === 'object' && value !== null) {
    const rec = value as Record<string, unknown>
    if (rec[SIG_KEY] === sig) out.push(rec)
    for (const v of Object.values(rec)) collectSig(v, sig, out)
  }
  return out
}

const urnOf = (stack: string, project: string, type: string, name: string): string =>
  formatUrn({ stack, project, qualifiedType: type, name })

describe('renameUrn', () => {
  it('renames only URNs of the old stack and project, recomputing the root stack name', () => {
    const from = { owner: 'o', project: 'web', stack: 'dev' }
    const to = { owner: 'o', project: 'site', stack: 'prod' }
    assert.equal(
      renameUrn(urnOf('dev', 'web', 'a:b:C', 'x::y'), from, to),
      urnOf('prod', 'site', 'a:b:C', 'x::y'),
    )
    assert.equal(
      renameUrn(urnOf('dev', 'web', 'pulumi:pulumi:Stack', 'something-else'), from, to),
      urnOf('prod', 'site', 'pulumi:pulumi:Stack', 'site-prod'),
    )
    // A nested type ending in the stack type is not the root stack.
    assert.equal(
      renameUrn(urnOf('dev', 'web', 'my:c:C$pulumi:pulumi:Stack', 'web-dev'), from, to),
      urnOf('prod', 'site', 'my:c:C$pulumi:pulumi:Stack', 'web-dev'),
    )
    for (const foreign of [
      urnOf('other', 'web', 'a:b:C', 'x'),
      urnOf('dev', 'other', 'a:b:C', 'x'),
      'urn:pulumi:x',
    ]) {
      assert.equal(renameUrn(foreign, from, to), foreign)
    }
  })
})

describe('renameDeployment on real states', () => {
  const cases: { label: string; to: (from: StackIdentity) => StackIdentity }[] = [
    { label: 'stack only', to: (from) => ({ ...from, stack: 'renamed' }) },
    { label: 'project only', to: (from) => ({ ...from, project: 'new-project' }) },
    { label: 'stack and project', to: (from) => ({ ...from, project: 'new-project', stack: 'prod' }) },
  ]

  for (const name of fixtureNames) {
    for (const { label, to: makeTo } of cases) {
      it(`${name}: ${label}`, () => {
        const input = loadFixture(name)
        const before = JSON.stringify(input)
        const from = identityOf(input)
        const to = makeTo(from)
        const out = renameDeployment(input, from, to)

        assert.equal(JSON.stringify(input), before, 'input must not be mutated')
        assert.notEqual(out, input)
        assert.notEqual(out.deployment, input.deployment)

        // These states hold URNs only in URN-bearing fields and resource references, never in plain strings, so
        // the rename must equal a textual replacement of the URN prefix plus the root stack's name.
        const oldPrefix = `urn:pulumi:${from.stack}::${from.project}::`
        const newPrefix = `urn:pulumi:${to.stack}::${to.project}::`
        const expected = before
          .replaceAll(
            `${oldPrefix}pulumi:pulumi:Stack::${from.project}-${from.stack}"`,
            `${newPrefix}pulumi:pulumi:Stack::${to.project}-${to.stack}"`,
          )
          .replaceAll(oldPrefix, newPrefix)
        const serialized = JSON.stringify(out)
        assert.equal(serialized, expected)
        assert.equal(serialized.includes(oldPrefix), false, 'no old URN survives')

        const inRes = resourcesOf(input)
        const outRes = resourcesOf(out)
        assert.equal(outRes.length, inRes.length)
        inRes.forEach((r, i) => {
          assert.deepEqual(Object.keys(outRes[i] ?? {}), Object.keys(r), 'keys and their order survive')
        })

        const root = outRes.find((r) => r.type === 'pulumi:pulumi:Stack')
        assert.equal(root?.urn, `${newPrefix}pulumi:pulumi:Stack::${to.project}-${to.stack}`)

        const urns = new Set(outRes.map((r) => r.urn))
        for (const r of outRes) {
          if (r.provider) assert.ok(urns.has(parseProviderReference(r.provider).urn), r.provider)
          if (r.parent) assert.ok(urns.has(r.parent), r.parent)
          for (const dep of r.dependencies ?? []) assert.ok(urns.has(dep), dep)
        }

        const refs = collectSig(out, RESOURCE_REFERENCE_SIG)
        assert.equal(refs.length, collectSig(input, RESOURCE_REFERENCE_SIG).length)
        for (const ref of refs) assert.ok(String(ref.urn).startsWith(newPrefix))

        assert.deepEqual(collectSig(out, SECRET_SIG), collectSig(input, SECRET_SIG), 'ciphertexts untouched')
        // Non-service secrets providers (these are all passphrase) are left exactly as they were.
        assert.deepEqual(out.deployment?.secrets_providers, input.deployment?.secrets_providers)
      })
    }
  }

  it('leaves a state of another stack alone', () => {
    const input = loadFixture('eks-cluster-3.0.0.json')
    const from = { ...identityOf(input), stack: 'someone-else' }
    const out = renameDeployment(input, from, { ...from, stack: 'renamed' })
    assert.deepEqual(out, input)
  })
})

describe('renameDeployment field coverage', () => {
  const from: StackIdentity = { owner: 'acme', project: 'web', stack: 'dev' }
  const to: StackIdentity = { owner: 'acme', project: 'site', stack: 'prod' }
  const old = (type: string, name: string) => urnOf('dev', 'web', type, name)
  const neu = (type: string, name: string) => urnOf('prod', 'site', type, name)
  const ref = (urn: string) => ({ [SIG_KEY]: RESOURCE_REFERENCE_SIG, urn, id: 'i', packageVersion: '' })
  const otherStack = urnOf('other', 'web', 'a:b:C', 'foreign')
  const otherProject = urnOf('dev', 'elsewhere', 'a:b:C', 'foreign')
  const ciphertextSecret = { [SIG_KEY]: SECRET_SIG, ciphertext: 'djE6c29tZTpjaXBoZXJ0ZXh0' }

  function build(): UntypedDeployment {
    const resource = {
      urn: old('a:b:C', 'res'),
      custom: true,
      type: 'a:b:C',
      parent: old('my:comp:C', 'parent'),
      provider: `${old('pulumi:providers:aws', 'p')}::prov::id`,
      dependencies: [old('a:b:D', 'dep'), otherStack],
      propertyDependencies: { x: [old('a:b:D', 'dep'), otherProject] },
      deletedWith: old('a:b:W', 'w'),
      replaceWith: [old('a:b:R', 'r')],
      aliases: [old('a:b:C', 'old-name'), otherStack],
      viewOf: old('a:b:V', 'v'),
      replacementTrigger: ref(old('a:b:T', 't')),
      futureField: { keep: old('a:b:C', 'res') },
      inputs: {
        plainString: old('a:b:C', 'not-a-reference'),
        nested: { list: [ref(old('a:b:R', 'r')), ref(otherStack), 42, null] },
        secret: ciphertextSecret,
        shown: { [SIG_KEY]: SECRET_SIG, plaintext: JSON.stringify({ inner: ref(old('a:b:S', 's')) }) },
        badPlain: { [SIG_KEY]: SECRET_SIG, plaintext: 'not-json' },
        bigPlain: { [SIG_KEY]: SECRET_SIG, plaintext: '{"n":12345678901234567890}' },
      },
      outputs: {
        out: {
          [SIG_KEY]: 'd0e6a833031e9bbcd3f4e8bde6ca49a4',
          value: ref(old('a:b:O', 'o')),
          dependencies: [old('a:b:O', 'o'), otherStack],
        },
      },
    }
    return {
      version: 3,
      extraTopLevel: true,
      deployment: {
        manifest: { time: '2024-01-01T00:00:00Z', magic: '', version: '' },
        secrets_providers: {
          type: 'service',
          state: {
            url: 'https://api.example.com',
            owner: 'acme',
            project: 'web',
            stack: 'dev',
            insecure: true,
          },
        },
        resources: [resource],
        pending_operations: [
          { type: 'creating', resource: { urn: old('a:b:P', 'p'), custom: true, type: 'a:b:P' } },
        ],
        metadata: {},
        unknownTopKey: [old('a:b:C', 'res')],
      },
    }
  }

  it('rewrites every URN-bearing field and nothing else', () => {
    const input = build()
    const before = structuredClone(input)
    const out = renameDeployment(input, from, to)
    assert.deepEqual(input, before, 'input must not be mutated')

    const res = out.deployment?.resources?.[0]
    assert.ok(res)
    assert.equal(res.urn, neu('a:b:C', 'res'))
    assert.equal(res.parent, neu('my:comp:C', 'parent'))
    // Provider ids are whatever follows the *last* `::`; here the URN name is `p::prov`.
    assert.equal(res.provider, `${neu('pulumi:providers:aws', 'p::prov')}::id`)
    assert.deepEqual(res.dependencies, [neu('a:b:D', 'dep'), otherStack])
    assert.deepEqual(res.propertyDependencies, { x: [neu('a:b:D', 'dep'), otherProject] })
    assert.equal(res.deletedWith, neu('a:b:W', 'w'))
    assert.deepEqual(res.replaceWith, [neu('a:b:R', 'r')])
    assert.deepEqual(res.aliases, [neu('a:b:C', 'old-name'), otherStack])
    assert.equal(res.viewOf, neu('a:b:V', 'v'))
    assert.deepEqual(res.replacementTrigger, ref(neu('a:b:T', 't')))
    assert.deepEqual(res.futureField, { keep: old('a:b:C', 'res') }, 'unknown keys are not interpreted')

    const inputs = res.inputs ?? {}
    assert.equal(inputs.plainString, old('a:b:C', 'not-a-reference'), 'plain strings are data, as in the CLI')
    assert.deepEqual(inputs.nested, { list: [ref(neu('a:b:R', 'r')), ref(otherStack), 42, null] })
    assert.deepEqual(inputs.secret, ciphertextSecret)
    assert.deepEqual(inputs.shown, {
      [SIG_KEY]: SECRET_SIG,
      plaintext: JSON.stringify({ inner: ref(neu('a:b:S', 's')) }),
    })
    assert.deepEqual(inputs.badPlain, { [SIG_KEY]: SECRET_SIG, plaintext: 'not-json' })
    assert.deepEqual(inputs.bigPlain, { [SIG_KEY]: SECRET_SIG, plaintext: '{"n":12345678901234567890}' })
    assert.deepEqual(res.outputs?.out, {
      [SIG_KEY]: 'd0e6a833031e9bbcd3f4e8bde6ca49a4',
      value: ref(neu('a:b:O', 'o')),
      dependencies: [neu('a:b:O', 'o'), otherStack],
    })

    assert.equal(out.deployment?.pending_operations?.[0]?.resource.urn, neu('a:b:P', 'p'))
    assert.equal(out.extraTopLevel, true)
    assert.deepEqual(out.deployment?.unknownTopKey, [old('a:b:C', 'res')])
    assert.deepEqual(out.deployment?.metadata, {})
  })

  it('rewrites the service secrets provider state in place, keeping url, extra keys and order', () => {
    const out = renameDeployment(build(), from, { owner: 'acme', project: 'site', stack: 'prod' })
    const state = out.deployment?.secrets_providers?.state
    assert.deepEqual(state, {
      url: 'https://api.example.com',
      owner: 'acme',
      project: 'site',
      stack: 'prod',
      insecure: true,
    })
    assert.deepEqual(Object.keys(state as object), ['url', 'owner', 'project', 'stack', 'insecure'])
    assert.equal(out.deployment?.secrets_providers?.type, 'service')
  })

  it('matches the service provider identity case-insensitively', () => {
    const input = build()
    const sp = input.deployment?.secrets_providers
    assert.ok(sp)
    sp.state = { url: 'u', owner: 'ACME', project: 'Web', stack: 'dev' }
    const out = renameDeployment(input, from, to)
    assert.deepEqual(out.deployment?.secrets_providers?.state, {
      url: 'u',
      owner: 'acme',
      project: 'site',
      stack: 'prod',
    })
  })

  it('leaves a service provider that points at another stack, and non-service providers, alone', () => {
    const other = build()
    const otherSp = other.deployment?.secrets_providers
    assert.ok(otherSp)
    otherSp.state = { url: 'u', owner: 'acme', project: 'web', stack: 'staging' }
    assert.deepEqual(renameDeployment(other, from, to).deployment?.secrets_providers, otherSp)

    const passphrase = build()
    const pp = { type: 'passphrase', state: { salt: 'v1:abc', owner: 'acme', project: 'web', stack: 'dev' } }
    if (passphrase.deployment) passphrase.deployment.secrets_providers = pp
    assert.deepEqual(renameDeployment(passphrase, from, to).deployment?.secrets_providers, pp)
  })

  it('normalises an empty provider id only when the reference is rebuilt', () => {
    const foreignProvider = `${urnOf('dev', 'elsewhere', 'pulumi:providers:aws', 'default')}::`
    const input: UntypedDeployment = {
      version: 3,
      deployment: {
        manifest: { time: '', magic: '', version: '' },
        resources: [
          {
            urn: old('a:b:C', 'x'),
            custom: true,
            type: 'a:b:C',
            provider: `${old('pulumi:providers:aws', 'd')}::`,
          },
          { urn: old('a:b:C', 'y'), custom: true, type: 'a:b:C', provider: foreignProvider },
        ],
      },
    }
    const out = resourcesOf(renameDeployment(input, from, to))
    assert.equal(out[0]?.provider, `${neu('pulumi:providers:aws', 'd')}::${UNKNOWN_PROVIDER_ID}`)
    assert.equal(out[1]?.provider, foreignProvider)
  })

  it('refuses an unparsable provider reference unless forced', () => {
    const input: UntypedDeployment = {
      version: 3,
      deployment: {
        resources: [{ urn: old('a:b:C', 'x'), custom: true, type: 'a:b:C', provider: 'garbage' }],
      },
    }
    assert.throws(
      () => renameDeployment(input, from, to),
      (err: unknown) => {
        assert.ok(err instanceof InvalidError)
        assert.match(err.message, /parsing provider reference for "urn:pulumi:prod::site::a:b:C::x"/)
        return true
      },
    )
    const forced = resourcesOf(renameDeployment(input, from, to, { force: true }))
    assert.equal(forced[0]?.urn, neu('a:b:C', 'x'))
    assert.equal(forced[0]?.provider, 'garbage')
  })

  it('copies states without a deployment and rejects names that would corrupt URNs', () => {
    const empty: UntypedDeployment = { version: 3 }
    const out = renameDeployment(empty, from, to)
    assert.deepEqual(out, empty)
    assert.notEqual(out, empty)
    assert.throws(() => renameDeployment(build(), from, { ...to, stack: 'a::b' }), InvalidError)
    assert.throws(() => renameDeployment(build(), from, { ...to, project: '' }), InvalidError)
  })
})

describe('renameDeployment on a state nested beyond the stack', () => {
  it('refuses with InvalidError instead of overflowing', () => {
    const deep = JSON.parse(`${'['.repeat(200_000)}${']'.repeat(200_000)}`) as unknown
    const state: UntypedDeployment = {
      version: 3,
      deployment: {
        resources: [{ urn: 'urn:pulumi:dev::web::a:b:C::n', custom: true, type: 'a:b:C', outputs: { deep } }],
      },
    }
    const from = { owner: 'o', project: 'web', stack: 'dev' }
    assert.throws(() => renameDeployment(state, from, { ...from, stack: 'prod' }), InvalidError)
  })
})
