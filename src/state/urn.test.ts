import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { InvalidError } from '../errors.js'
import { formatProviderReference, parseProviderReference, UNKNOWN_PROVIDER_ID } from './provider-reference.js'
import { formatUrn, isValidUrn, newUrn, parseUrn, requireUrn, typeOfQualifiedType } from './urn.js'

const urnOf = (stack: string, project: string, qualifiedType: string, name: string) =>
  formatUrn({ stack, project, qualifiedType, name })

describe('URN (urn.go)', () => {
  it('is valid with the prefix and at least three non-overlapping `::`, tokens unchecked (urn.go :: IsValid)', () => {
    assert.equal(isValidUrn('urn:pulumi:dev::web::aws:s3/bucket:Bucket::b'), true)
    assert.equal(isValidUrn('urn:pulumi:::::::'), true)
    assert.equal(isValidUrn('urn:pulumi:dev::web::aws:s3/bucket:Bucket'), false)
    assert.equal(isValidUrn('urn:pulumi:dev:::web'), false) // ':::' counts once
    assert.equal(isValidUrn('urn:other:dev::web::t::n'), false)
    assert.equal(isValidUrn('URN:PULUMI:dev::web::t::n'), false)
    assert.equal(isValidUrn(''), false)
    assert.equal(parseUrn('not a urn'), undefined)
    assert.throws(() => requireUrn('urn:pulumi:a::b'), InvalidError)
  })

  it('keeps every further `::` in the name', () => {
    assert.deepEqual(parseUrn('urn:pulumi:dev::web::a:b:C::x::y::z'), {
      stack: 'dev',
      project: 'web',
      qualifiedType: 'a:b:C',
      name: 'x::y::z',
    })
    assert.equal(parseUrn('urn:pulumi:dev::web::a:b:C::')?.name, '')
    assert.equal(parseUrn('urn:pulumi:dev::web::a:b:C::::')?.name, '::')
  })

  it('splits `$` type chains: the qualified type keeps the parents, the type is the last element', () => {
    const urn = 'urn:pulumi:dev::web::eks:index:Cluster$aws:eks/cluster:Cluster$aws:iam/role:Role::r'
    const parts = requireUrn(urn)
    assert.equal(parts.qualifiedType, 'eks:index:Cluster$aws:eks/cluster:Cluster$aws:iam/role:Role')
    assert.equal(typeOfQualifiedType(parts.qualifiedType), 'aws:iam/role:Role')
    assert.equal(typeOfQualifiedType('a:b:C'), 'a:b:C')
    assert.equal(typeOfQualifiedType('a:b:C$'), '')
    assert.equal(formatUrn(parts), urn)
  })

  it('builds child URNs under the parent type, except under the root stack (urn.go :: New)', () => {
    assert.equal(newUrn('dev', 'web', '', 'a:b:C', 'n'), 'urn:pulumi:dev::web::a:b:C::n')
    assert.equal(newUrn('dev', 'web', 'pulumi:pulumi:Stack', 'a:b:C', 'n'), 'urn:pulumi:dev::web::a:b:C::n')
    assert.equal(
      newUrn('dev', 'web', 'p:q:P$r:s:R', 'a:b:C', 'n::m'),
      'urn:pulumi:dev::web::p:q:P$r:s:R$a:b:C::n::m',
    )
  })

  it("walks runs of ':' exactly like getComponentN", () => {
    // The prefix's last ':' joins the body's colons in IsValid's count, but not in the component walk.
    assert.deepEqual(parseUrn('urn:pulumi::::::a'), {
      stack: '',
      project: '',
      qualifiedType: ':a',
      name: ':::::a',
    })
    assert.deepEqual(parseUrn('urn:pulumi:a:::b::c::d'), {
      stack: 'a',
      project: ':b',
      qualifiedType: 'c',
      name: 'd',
    })
    assert.deepEqual(parseUrn('urn:pulumi:a::b::::c::d'), {
      stack: 'a',
      project: 'b',
      qualifiedType: '',
      name: 'c::d',
    })
    assert.deepEqual(parseUrn('urn:pulumi:a::b:::c::d'), {
      stack: 'a',
      project: 'b',
      qualifiedType: ':c',
      name: 'd',
    })
  })
})

describe('provider references (providers/reference.go)', () => {
  const provider = urnOf('dev', 'web', 'pulumi:providers:aws', 'my::provider')

  it('splits at the last `::`, so the URN name may contain `::` but the id may not', () => {
    assert.deepEqual(parseProviderReference(`${provider}::abc-123`), { urn: provider, id: 'abc-123' })
    assert.deepEqual(parseProviderReference(`${provider}::`), { urn: provider, id: '' })
    const nested = urnOf('dev', 'web', 'my:c:C$pulumi:providers:aws', 'p')
    assert.deepEqual(parseProviderReference(`${nested}::id`), { urn: nested, id: 'id' })
  })

  it('refuses references without a provider-typed URN', () => {
    for (const bad of [
      'no-separator',
      'urn:pulumi:dev::web::id',
      `${urnOf('dev', 'web', 'aws:s3:Bucket', 'b')}::id`,
      `${urnOf('dev', 'web', 'pulumi:providers:', 'p')}::id`,
      `${urnOf('dev', 'web', 'pulumi:providers', 'p')}::id`,
      `${urnOf('dev', 'web', 'aws', 'p')}::id`,
      `${urnOf('dev', 'web', 'pulumi:providers:aws$a:b:C', 'p')}::id`,
    ]) {
      assert.throws(() => parseProviderReference(bad), InvalidError, bad)
    }
  })

  it('writes an empty id as UnknownID (NewReference)', () => {
    assert.equal(formatProviderReference(provider, ''), `${provider}::${UNKNOWN_PROVIDER_ID}`)
    assert.equal(formatProviderReference(provider, 'x'), `${provider}::x`)
    assert.throws(() => formatProviderReference(urnOf('d', 'w', 'a:b:C', 'n'), 'x'), InvalidError)
  })
})
