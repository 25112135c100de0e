import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadDefinition } from './eval/evaluator.js'
import { ServerProviders, type StackOutputsSource } from './providers.js'
import { rotationTargets, runRotations, selected } from './rotation.js'

const DEFINITION = [
  'values:',
  '  app:',
  '    key:',
  '      fn::rotate::random-secret:',
  '        inputs: { length: 16, encoding: alphanumeric }',
  '        state: { current: { fn::secret: old-value-0000000 } }',
  '  list:',
  '    - fn::rotate:',
  '        provider: aws-iam',
  '        inputs: { region: us-west-2 }',
  '',
].join('\n')

describe('fn::rotate rotation', () => {
  const env = loadDefinition('p/e', DEFINITION).env
  assert.ok(env)
  const providers = new ServerProviders('acme', {} as StackOutputsSource)

  it('finds each fn::rotate with its property path', () => {
    assert.deepEqual(
      rotationTargets(env).map((t) => [t.path, t.provider]),
      [
        ['app.key', 'random-secret'],
        ['list[0]', 'aws-iam'],
      ],
    )
    assert.ok(selected('app.key', ['app']))
    assert.ok(!selected('application.key', ['app']))
  })

  it('answers a clear failure per rotator this server lacks, and writes the others’ new state', async () => {
    const { rotations, yaml } = await runRotations(DEFINITION, rotationTargets(env), providers)
    assert.deepEqual(
      rotations.map((r) => [r.environmentPath, r.status]),
      [
        ['app.key', 'succeeded'],
        ['list[0]', 'failed'],
      ],
    )
    assert.equal(
      rotations[1]?.errorMessage,
      'rotator "aws-iam" is not available on this server (pulumi-backend provides random-secret only)',
    )
    assert.match(yaml ?? '', /previous:\s+fn::secret: old-value-0000000/)
    assert.match(yaml ?? '', /current:\s+fn::secret: [A-Za-z0-9]{16}\n/)
  })

  it('writes nothing when no rotation succeeded', async () => {
    const only = rotationTargets(env).filter((t) => t.provider === 'aws-iam')
    assert.equal((await runRotations(DEFINITION, only, providers)).yaml, undefined)
  })
})
