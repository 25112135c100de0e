// Conformance of the evaluator against ESC's own evaluation cases (test/fixtures/esc/eval-cases, from pulumi/esc
// eval/testdata/eval, expected.json trimmed to the JSON results and diagnostics). Each case is scored on three
// aspects; the test fails if any aspect falls below the recorded floor, and prints the per-case table.
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { isDeepStrictEqual } from 'node:util'
import type { Diagnostic } from '../../src/esc/eval/diagnostics.js'
import {
  type Decrypter,
  type EscProvider,
  type EscRotator,
  type EvalOptions,
  evaluateEnvironment,
  loadDefinition,
  type ProviderLoader,
  propertiesToJSON,
} from '../../src/esc/eval/evaluator.js'
import type { Schema } from '../../src/esc/eval/schema.js'
import type { EscValue } from '../../src/esc/eval/value.js'

const ROOT = join(import.meta.dirname, '../fixtures/esc/eval-cases')

/** ESC's test cipher: every byte + 128. */
const rot128: Decrypter = {
  async decrypt(bytes) {
    return bytes.map((b) => (b + 128) & 0xff)
  },
}

const str = (): Schema => ({ type: 'string' })
const passThrough = (schema: Schema = { always: true }, secret = false): EscProvider => ({
  inputSchema: () => schema,
  outputSchema: () => schema,
  async open(inputs) {
    return { value: inputs, ...(secret ? { secret: true } : {}) }
  },
})

/** The fixed schema of ESC's `schema` test provider. */
const testSchema: Schema = {
  type: 'object',
  $defs: {
    defRecord: { type: 'object', properties: { baz: { type: 'string', const: 'qux' } }, required: ['baz'] },
  },
  properties: {
    null: { type: 'null' },
    boolean: { type: 'boolean' },
    false: { type: 'boolean', const: false },
    true: { type: 'boolean', const: true },
    number: { type: 'number' },
    pi: { type: 'number', const: 3.14 },
    string: str(),
    hello: { type: 'string', const: 'hello' },
    array: { type: 'array', items: { always: true } },
    tuple: {
      type: 'array',
      prefixItems: [
        { type: 'string', const: 'hello' },
        { type: 'string', const: 'world' },
      ],
      items: { never: true },
    },
    map: { type: 'object', additionalProperties: { always: true } },
    record: { type: 'object', properties: { foo: str() }, required: ['foo'] },
    anyOf: { anyOf: [str(), { type: 'number' }] },
    oneOf: { oneOf: [str(), { type: 'number' }] },
    ref: { $ref: '#/$defs/defRecord' },
    'const-array': { type: 'array', const: ['hello', 42] },
    'const-object': { type: 'object', const: { hello: 'world' } },
    enum: { type: 'string', enum: ['foo', 'bar'] },
    never: { never: true },
    always: { always: true },
    double: { type: 'array', prefixItems: [str(), { type: 'number' }], items: { never: true } },
    triple: {
      type: 'array',
      prefixItems: [str(), { type: 'number' }, { type: 'boolean' }],
      items: { never: true },
    },
    dependentReq: {
      type: 'object',
      properties: { foo: str(), bar: { type: 'number' } },
      dependentRequired: { foo: ['bar'] },
    },
    multiple: { type: 'number', multipleOf: 2 },
    minimum: { type: 'number', minimum: 1 },
    exclusiveMinimum: { type: 'number', exclusiveMinimum: 1 },
    maximum: { type: 'number', maximum: 1 },
    exclusiveMaximum: { type: 'number', exclusiveMaximum: 1 },
    minLength: { type: 'string', minLength: 1 },
    maxLength: { type: 'string', maxLength: 1 },
    pattern: { type: 'string', pattern: '^foo[0-9]+$' },
    minItems: { type: 'array', minItems: 3 },
    maxItems: { type: 'array', maxItems: 2 },
    minProperties: { type: 'object', minProperties: 1 },
    maxProperties: { type: 'object', maxProperties: 1 },
  },
}

const providers: ProviderLoader = {
  async loadProvider(name) {
    switch (name) {
      case 'test':
        return passThrough()
      case 'secret-wrapper':
        return passThrough(undefined, true)
      case 'schema':
        return passThrough(testSchema)
      case 'error':
        return {
          inputSchema: () => ({ type: 'object', properties: { why: str() }, required: ['why'] }),
          outputSchema: () => ({ always: true }),
          async open(inputs) {
            throw new Error(String(inputs.why?.value))
          },
        }
    }
    throw new Error(`unknown provider "${name}"`)
  },
  async loadRotator(name): Promise<EscRotator> {
    const ab: Schema = { type: 'object', properties: { a: str(), b: str() }, required: ['a', 'b'] }
    const cp: Schema = {
      type: 'object',
      properties: { current: str(), previous: str() },
      required: ['current'],
    }
    switch (name) {
      case 'swap':
        return {
          inputSchema: () => ({ always: true }),
          stateSchema: () => ab,
          outputSchema: () => ab,
          open: async (_i, s) => ({ value: s ?? {} }),
        }
      case 'echo':
        return {
          inputSchema: () => ({
            type: 'object',
            properties: { next: str() },
            required: ['next'],
            rotateOnly: ['next'],
          }),
          stateSchema: () => cp,
          outputSchema: () => cp,
          open: async (_i, s) => ({ value: s ?? {} }),
        }
    }
    throw new Error(`unknown rotator "${name}"`)
  },
}

interface GoDiag {
  Severity: number
  Summary: string
  Subject?: {
    Filename: string
    Start: { Line: number; Column: number; Byte: number }
    End: { Line: number; Column: number; Byte: number }
  } | null
  Path?: string
}

const fromGo = (d: GoDiag) => ({
  severity: d.Severity,
  summary: d.Summary,
  path: d.Path ?? '',
  range: d.Subject
    ? `${d.Subject.Filename}:${d.Subject.Start.Line}:${d.Subject.Start.Column}(${d.Subject.Start.Byte})-${d.Subject.End.Line}:${d.Subject.End.Column}(${d.Subject.End.Byte})`
    : '',
})
const fromOurs = (d: Diagnostic) => ({
  severity: d.severity,
  summary: d.summary,
  path: d.path,
  range: d.range
    ? `${d.range.environment}:${d.range.begin.line}:${d.range.begin.column}(${d.range.begin.byte})-${d.range.end.line}:${d.range.end.column}(${d.range.end.byte})`
    : '',
})
type Flat = ReturnType<typeof fromGo>
const key = (d: Flat, withRange: boolean) =>
  `${d.severity}|${d.summary}|${d.path}${withRange ? `|${d.range}` : ''}`
const sameDiags = (a: Flat[], b: Flat[], withRange: boolean) =>
  JSON.stringify(a.map((d) => key(d, withRange)).sort()) ===
  JSON.stringify(b.map((d) => key(d, withRange)).sort())

async function runCase(name: string) {
  const dir = join(ROOT, name)
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'))
  const overridesPath = join(dir, 'overrides.json')
  const overrides = existsSync(overridesPath) ? JSON.parse(readFileSync(overridesPath, 'utf8')) : {}
  const envName = overrides.rootEnvironment ?? name
  const source = readFileSync(join(dir, 'env.yaml'), 'utf8')
  const options = (validating: boolean): EvalOptions => ({
    validating,
    showSecrets: overrides.showSecrets ?? false,
    decrypter: rot128,
    providers,
    environments: {
      async loadEnvironment(imported) {
        const path = join(dir, `${imported}.yaml`)
        if (!existsSync(path))
          throw new Error(`open testdata/eval/${name}/${imported}.yaml: no such file or directory`)
        return { source: readFileSync(path, 'utf8'), decrypter: rot128 }
      },
    },
    execContext: {
      values: { pulumi: { value: { user: { value: { id: { value: 'USER_123' } } } } } } as Record<
        string,
        EscValue
      >,
      rootEnvironment: envName,
    },
  })
  const load = loadDefinition(envName, source)
  const check = await evaluateEnvironment(envName, load.env, options(true))
  const evaluated = await evaluateEnvironment(envName, load.env, options(false))
  const json = (props: Record<string, EscValue> | undefined, redact: boolean) =>
    props ? propertiesToJSON(props, redact) : undefined

  const values =
    isDeepStrictEqual(json(evaluated.environment?.properties, false), expected.evalJSONRevealed) &&
    isDeepStrictEqual(json(evaluated.environment?.properties, true), expected.evalJsonRedacted) &&
    isDeepStrictEqual(json(check.environment?.properties, true), expected.checkJson)
  const expLoad = (expected.loadDiags ?? []).map(fromGo)
  const expCheck = (expected.checkDiags ?? []).map(fromGo)
  const expEval = (expected.evalDiags ?? []).map(fromGo)
  const ourLoad = load.diags.map(fromOurs)
  const ourCheck = check.diags.map(fromOurs)
  const ourEval = evaluated.diags.map(fromOurs)
  const diagsMatch = (withRange: boolean) =>
    sameDiags(ourLoad, expLoad, withRange) &&
    sameDiags(ourCheck, expCheck, withRange) &&
    sameDiags(ourEval, expEval, withRange)
  if (!values && process.env.ESC_CONFORMANCE_DEBUG) {
    const shown = [json(evaluated.environment?.properties, false), json(check.environment?.properties, true)]
    console.log(name, JSON.stringify([...shown, expected.evalJSONRevealed, expected.checkJson]))
  }
  return {
    name,
    values,
    diagnostics: diagsMatch(false),
    ranges: diagsMatch(true),
    ourEval,
    expEval,
    ourCheck,
    expCheck,
    ourLoad,
    expLoad,
  }
}

// Floors recorded from the current implementation; raise them as conformance improves.
const FLOOR = { values: 54, diagnostics: 54, ranges: 54 }

test('ESC evaluation conformance (pulumi/esc eval/testdata/eval)', async () => {
  const cases = readdirSync(ROOT).sort()
  const results: Awaited<ReturnType<typeof runCase>>[] = []
  for (const name of cases) results.push(await runCase(name))
  const count = (k: 'values' | 'diagnostics' | 'ranges') => results.filter((r) => r[k]).length
  const table = results.map(
    (r) => `${r.values ? 'V' : '-'}${r.diagnostics ? 'D' : '-'}${r.ranges ? 'R' : '-'} ${r.name}`,
  )
  console.log(
    `${table.join('\n')}\nvalues ${count('values')}/${cases.length}, diagnostics ${count('diagnostics')}/${cases.length}, diagnostic ranges ${count('ranges')}/${cases.length}`,
  )
  if (process.env.ESC_CONFORMANCE_DEBUG) {
    for (const r of results.filter((x) => !x.diagnostics || !x.ranges)) {
      console.log(
        r.name,
        JSON.stringify(
          { load: [r.ourLoad, r.expLoad], check: [r.ourCheck, r.expCheck], eval: [r.ourEval, r.expEval] },
          null,
          1,
        ),
      )
    }
  }
  assert.ok(count('values') >= FLOOR.values, 'value conformance regressed')
  assert.ok(count('diagnostics') >= FLOOR.diagnostics, 'diagnostic conformance regressed')
  assert.ok(count('ranges') >= FLOOR.ranges, 'diagnostic range conformance regressed')
})
