import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { InvalidError } from '../errors.js'
import { objectMemberRanges } from '../lib/raw-json.js'
import {
  deploymentFromCheckpointText,
  describeCheckpointText,
  untypedDeploymentFromCheckpointRequest,
  verbatimDeploymentRange,
} from './checkpoint-text.js'

const fixtures = new URL('../../test/fixtures/', import.meta.url)
const statesDir = new URL('states/', fixtures)
const stateNames = readdirSync(statesDir).filter((name) => name.endsWith('.json'))

function readFixture(path: string): Buffer {
  return readFileSync(new URL(path, fixtures))
}

// The CLI's canonical text from its recorded delta session (diffs.go :: marshalSpannedDeployment).
const deltaSession = JSON.parse(
  readFixture('checkpoints/delta-snapshot-test.json').toString('utf8'),
) as Record<string, string>
const canonical = Buffer.from(deltaSession.req1!)

function invalid(pattern: RegExp) {
  return (error: unknown) => error instanceof InvalidError && pattern.test(error.message)
}

/** Raw bytes of the member `key` of the object in `json`. */
function member(json: Buffer, key: string): Buffer {
  const range = objectMemberRanges(json).get(key)
  assert.ok(range, `member ${key}`)
  return json.subarray(range.start, range.end)
}

/** Canonical text with >9 pending operations, written under the CLI's camelCase key (§6.2). */
function withCamelPendingOperations(count: number): { text: Buffer; ops: string } {
  const op = (i: number) =>
    `{"resource":{"urn":"urn-op-${i}","custom":true,"type":"t:m:R"},"type":"creating"}`
  const ops = `[${Array.from({ length: count }, (_, i) => op(i)).join(',')}]`
  const base = canonical.toString('utf8')
  return { text: Buffer.from(`${base.slice(0, -2)},"pendingOperations":${ops}}}`), ops }
}

describe('deploymentFromCheckpointText', () => {
  it('returns the very same Buffer for real exports and canonical texts (zero copy)', () => {
    for (const name of stateNames) {
      const text = readFileSync(new URL(name, statesDir))
      assert.equal(deploymentFromCheckpointText(text), text, name)
    }
    assert.equal(deploymentFromCheckpointText(canonical), canonical)
  })

  it('renames the CLI camelCase pendingOperations to pending_operations, keeping every other byte', () => {
    const { text, ops } = withCamelPendingOperations(10)
    const out = deploymentFromCheckpointText(text)
    assert.notEqual(out, text)
    assert.equal(
      out.toString('utf8'),
      text.toString('utf8').replace('"pendingOperations":', '"pending_operations":'),
    )
    const parsed = JSON.parse(out.toString('utf8'))
    assert.deepEqual(parsed.deployment.pending_operations, JSON.parse(ops))
    assert.equal('pendingOperations' in parsed.deployment, false)
  })

  it('keeps an existing pending_operations and drops the camelCase one', () => {
    const { text } = withCamelPendingOperations(10)
    const both = Buffer.from(
      text
        .toString('utf8')
        .replace('"metadata":{}', '"metadata":{},"pending_operations":[{"type":"deleting"}]'),
    )
    const parsed = JSON.parse(deploymentFromCheckpointText(both).toString('utf8'))
    assert.deepEqual(parsed.deployment.pending_operations, [{ type: 'deleting' }])
    assert.deepEqual(Object.keys(parsed.deployment), [
      'manifest',
      'metadata',
      'pending_operations',
      'resources',
    ])

    // camelCase first, last and only: the separating commas go with it and the result stays valid JSON.
    const cases: Array<[string, string]> = [
      ['{"pendingOperations":[1],"pending_operations":[2]}', '{"pending_operations":[2]}'],
      ['{"pending_operations":[2], "pendingOperations" : [1] }', '{"pending_operations":[2] }'],
      [
        '{"a":0,"pendingOperations":[1],"pendingOperations":[3],"pending_operations":[2]}',
        '{"a":0,"pending_operations":[2]}',
      ],
      ['{"pendingOperations":[1],"pendingOperations":[3]}', '{"pending_operations":[3]}'],
      ['{"pendingOperations":null}', '{"pending_operations":null}'],
    ]
    for (const [deployment, expected] of cases) {
      const out = deploymentFromCheckpointText(Buffer.from(`{"version":3,"deployment":${deployment}}`))
      assert.equal(out.toString('utf8'), `{"version":3,"deployment":${expected}}`, deployment)
    }
  })

  it('matches the key after decoding escapes, and ignores pendingOperations elsewhere', () => {
    const escaped = Buffer.from('{"version":3,"deployment":{"pending\\u004fperations":[]}}')
    assert.equal(
      deploymentFromCheckpointText(escaped).toString(),
      '{"version":3,"deployment":{"pending_operations":[]}}',
    )
    const nested = Buffer.from(
      '{"version":3,"pendingOperations":1,"deployment":{"resources":[{"outputs":{"pendingOperations":[]}}]}}',
    )
    assert.equal(deploymentFromCheckpointText(nested), nested)
  })

  it('rejects texts that are not UntypedDeployments', () => {
    const cases: Array<[Buffer, RegExp]> = [
      // The DIY backend's on-disk checkpoint format is not an UntypedDeployment.
      [readFixture('checkpoints/checkpoint-v3.json'), /missing "deployment"/],
      [readFixture('checkpoints/checkpoint-v0.json'), /missing "version"/],
      [
        Buffer.from('{"version":5,"deployment":{}}'),
        /unsupported deployment schema version 5 \(expected 1–4\)/,
      ],
      [Buffer.from('{"version":0,"deployment":{}}'), /unsupported deployment schema version 0/],
      [Buffer.from('{"version":3.0,"deployment":{}}'), /"version" must be an integer, got 3\.0/],
      [Buffer.from('{"version":"3","deployment":{}}'), /"version" must be an integer/],
      [Buffer.from('{"version":3,"deployment":[]}'), /"deployment" must be a JSON object, got array/],
      [Buffer.from('{"version":3,"deployment":null}'), /"deployment" must be a JSON object, got null/],
      [Buffer.from('{"version":4,"features":"x","deployment":{}}'), /"features" must be an array of strings/],
      [Buffer.from('{"version":4,"features":[1],"deployment":{}}'), /"features" must be an array of strings/],
      [Buffer.from('[]'), /invalid checkpoint: malformed JSON at byte 0: expected a JSON object/],
      [Buffer.from('{"version":3,"deployment":{"a":}}'), /invalid checkpoint: malformed JSON at byte 31/],
      [canonical.subarray(0, canonical.length - 1), /invalid checkpoint: malformed JSON/],
    ]
    for (const [text, pattern] of cases) {
      assert.throws(() => deploymentFromCheckpointText(text), invalid(pattern), text.toString('utf8', 0, 60))
    }
  })

  it('describeCheckpointText reports version, features and the deployment range', () => {
    const text = Buffer.from('{"version":4,"features":["refreshBeforeUpdate"],"deployment":{"x":1}}')
    const info = describeCheckpointText(text)
    assert.equal(info.version, 4)
    assert.deepEqual(info.features, ['refreshBeforeUpdate'])
    assert.equal(text.toString('utf8', info.deployment.start, info.deployment.end), '{"x":1}')
    assert.equal(describeCheckpointText(canonical).features, undefined)
    assert.throws(() => describeCheckpointText(Buffer.from('{}')), invalid(/missing "version"/))
  })
})

describe('untypedDeploymentFromCheckpointRequest', () => {
  it('splices the raw deployment bytes of real states into {"version","deployment"}', () => {
    for (const name of stateNames) {
      const state = readFileSync(new URL(name, statesDir))
      const deployment = member(state, 'deployment') // pretty-printed: whitespace must survive untouched
      const body = Buffer.concat([
        Buffer.from('{"isInvalid":false,"version":3,"deployment":'),
        deployment,
        Buffer.from('}'),
      ])
      const out = untypedDeploymentFromCheckpointRequest(body)
      assert.ok(member(out, 'deployment').equals(deployment), name)
      assert.equal(out.toString('utf8', 0, 27), '{"version":3,"deployment":{')
      assert.deepEqual(JSON.parse(out.toString('utf8')), JSON.parse(state.toString('utf8')), name)
      assert.equal(deploymentFromCheckpointText(out), out)
    }
  })

  it('keeps non-empty features (raw) and omits empty or null ones, like omitempty', () => {
    const v4 = readFixture('checkpoints/checkpoint-v4.json')
    const latest = member(member(v4, 'checkpoint'), 'latest')
    const body = Buffer.concat([
      Buffer.from('{"isInvalid":false,"version":4,"features":["refreshBeforeUpdate"],"deployment":'),
      latest,
      Buffer.from('}'),
    ])
    const out = untypedDeploymentFromCheckpointRequest(body)
    assert.equal(
      out.toString('utf8', 0, 62),
      '{"version":4,"features":["refreshBeforeUpdate"],"deployment":{',
    )
    assert.ok(member(out, 'deployment').equals(latest))

    for (const features of ['[]', 'null']) {
      const plain = untypedDeploymentFromCheckpointRequest(
        Buffer.from(`{"version":3,"features":${features},"deployment":{"a":"\\u003c"}}`),
      )
      assert.equal(plain.toString('utf8'), '{"version":3,"deployment":{"a":"\\u003c"}}')
    }
  })

  it('validates the request', () => {
    const cases: Array<[string, RegExp]> = [
      ['{"version":3}', /invalid checkpoint request: missing "deployment"/],
      ['{"deployment":{}}', /missing "version"/],
      ['{"isInvalid":"no","version":3,"deployment":{}}', /"isInvalid" must be a boolean/],
      ['{"version":3,"deployment":"{}"}', /"deployment" must be a JSON object, got string/],
      ['{"version":1e0,"deployment":{}}', /"version" must be an integer/],
      ['{"version":3,"features":{},"deployment":{}}', /"features" must be an array of strings/],
      ['{"version":3,"deployment":{}', /invalid checkpoint request: malformed JSON/],
    ]
    for (const [body, pattern] of cases) {
      assert.throws(() => untypedDeploymentFromCheckpointRequest(Buffer.from(body)), invalid(pattern), body)
    }
  })
})

describe('verbatimDeploymentRange', () => {
  it('returns the byte-exact untypedDeployment as a view of the body', () => {
    const body = Buffer.from(`{"version":3,"untypedDeployment":${deltaSession.req1},"sequenceNumber":1}`)
    const verbatim = verbatimDeploymentRange(body)
    assert.ok(verbatim.text.equals(canonical))
    assert.equal(verbatim.text.buffer, body.buffer) // a subarray, not a copy
    assert.equal(verbatim.sequenceNumber, 1)
    assert.equal(verbatim.version, 3)
  })

  it('preserves bytes that a JSON.parse/stringify round trip would change', () => {
    // Go's escaping of <>&, exponent numbers, integer-like keys out of order, non-ASCII and a real state.
    const text =
      '{"version":3,"deployment":{"manifest":{"time":"t","magic":"","version":""},"metadata":{},' +
      '"resources":[{"urn":"u","custom":false,"type":"","outputs":{"b":"\\u003cé\\u0026","2":1e+21,"1":1.0}}]}}'
    const body = Buffer.from(`{"version":3,"untypedDeployment":${text},"sequenceNumber":7}`)
    const verbatim = verbatimDeploymentRange(body)
    assert.equal(verbatim.text.toString('utf8'), text)
    assert.notEqual(JSON.stringify(JSON.parse(text)), text)
    assert.equal(verbatim.sequenceNumber, 7)

    const state = readFileSync(new URL(stateNames[0]!, statesDir))
    const stateBody = Buffer.concat([
      Buffer.from('{"version":3,"untypedDeployment":'),
      state,
      Buffer.from(',"sequenceNumber":2}'),
    ])
    assert.ok(verbatimDeploymentRange(stateBody).text.equals(state.subarray(0, state.lastIndexOf('}') + 1)))
  })

  it('validates the envelope with clear messages', () => {
    const cases: Array<[string, RegExp]> = [
      [
        '{"version":3,"sequenceNumber":1}',
        /invalid verbatim checkpoint request: missing "untypedDeployment"/,
      ],
      ['{"version":3,"untypedDeployment":{}}', /missing "sequenceNumber"/],
      ['{"untypedDeployment":{},"sequenceNumber":1}', /missing "version"/],
      [
        '{"version":3,"untypedDeployment":"{}","sequenceNumber":1}',
        /"untypedDeployment" must be a JSON object, got string/,
      ],
      [
        '{"version":3,"untypedDeployment":{},"sequenceNumber":"1"}',
        /"sequenceNumber" must be an integer, got "1"/,
      ],
      ['{"version":3,"untypedDeployment":{},"sequenceNumber":1.5}', /"sequenceNumber" must be an integer/],
      ['{"version":3,"untypedDeployment":{},"sequenceNumber":0}', /"sequenceNumber" must be at least 1/],
      ['{"version":9,"untypedDeployment":{},"sequenceNumber":1}', /unsupported deployment schema version 9/],
      [
        '{"version":3,"untypedDeployment":{"a":[},"sequenceNumber":1}',
        /invalid verbatim checkpoint request: malformed JSON/,
      ],
    ]
    for (const [body, pattern] of cases) {
      assert.throws(() => verbatimDeploymentRange(Buffer.from(body)), invalid(pattern), body)
    }
  })
})
