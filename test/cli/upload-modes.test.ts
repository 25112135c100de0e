// The three checkpoint upload modes, forced through the real CLI's own switches (npm run cli:install):
// journaling (default), delta checkpoints (PULUMI_DISABLE_JOURNALING=true, state above -delta-cutoff) and full
// checkpoints (also PULUMI_OPTIMIZED_CHECKPOINT_PATCH=false). Each runs the same sequence of updates against
// this server and against the CLI's own file:// backend, whose stored state is exactly what the CLI believes;
// the two exports must be equal after every step.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type TestServer, useTestServer } from '../support/test-server.js'
import {
  type Deployment,
  item,
  PulumiCli,
  realCliSkipReason,
  ref,
  type YamlProgram,
} from './support/real-cli.js'

const UP = ['up', '--yes', '--skip-preview']

/** Programs of the sequence: creates, an update, a replacement, a delete and an add; ~2 KB per resource. */
const steps: YamlProgram[] = [
  {
    name: 'modes',
    resources: {
      a: item('a', { payloadBytes: 2048 }),
      b: item('b', { payloadBytes: 2048, secret: 'pssst' }),
      c: item('c', { payloadBytes: 2048, replaceKey: 'one' }),
      d: item('d', { payloadBytes: 2048 }),
      g: { type: 'testprov:index:Group', properties: { count: 2 } },
    },
    outputs: { secret: ref('b.secretEcho') },
  },
  {
    name: 'modes',
    resources: {
      a: item('a2', { payloadBytes: 2048 }),
      b: item('b', { payloadBytes: 2048, secret: 'pssst' }),
      c: item('c', { payloadBytes: 2048, replaceKey: 'two' }),
      e: item('e', { payloadBytes: 2048 }),
      g: { type: 'testprov:index:Group', properties: { count: 2 } },
    },
    outputs: { secret: ref('b.secretEcho') },
  },
]

/**
 * What must agree between the two backends: every resource's identity, inputs, outputs (secrets shown),
 * parent, dependencies and provider, in state order. Ids (random per create), timestamps and the secrets
 * provider (passphrase vs service) differ by design; ids are replaced by their urn.
 */
function comparable(deployment: Deployment): unknown {
  const resources = deployment.deployment.resources ?? []
  const idToUrn = new Map(resources.map((r) => [r.id ?? '', r.urn]))
  return resources.map((r) => {
    const { id, created, modified, provider, ...rest } = r as typeof r & Record<string, unknown>
    const providerRef =
      typeof provider === 'string'
        ? provider.replace(/::[^:]+$/, `::${idToUrn.get(provider.split('::').pop() ?? '') ?? ''}`)
        : undefined
    return { ...rest, id: id ? `<id of ${r.urn}>` : undefined, provider: providerRef }
  })
}

const MODES: [string, Record<string, string>][] = [
  ['journaling (default)', {}],
  ['delta checkpoints (PULUMI_DISABLE_JOURNALING=true)', { PULUMI_DISABLE_JOURNALING: 'true' }],
  [
    'full checkpoints (PULUMI_OPTIMIZED_CHECKPOINT_PATCH=false)',
    { PULUMI_DISABLE_JOURNALING: 'true', PULUMI_OPTIMIZED_CHECKPOINT_PATCH: 'false' },
  ],
]

describe('real CLI: upload modes end with the state the CLI believes', { skip: realCliSkipReason() }, () => {
  let server: TestServer
  // A small delta cutoff so these few-KB states go through delta checkpoints when journaling is off.
  useTestServer({ args: ['-delta-cutoff=1024'] }, (s) => {
    server = s
  })

  for (const [index, [label, env]] of MODES.entries()) {
    describe(label, () => {
      let ours: PulumiCli
      let diy: PulumiCli
      let stateDir: string
      before(async () => {
        ours = new PulumiCli(server.url, server.token)
        ours.defaultEnv = env
        await ours.login()
        await ours.run(['stack', 'init', `acme/modes/m${index}`])
        stateDir = mkdtempSync(join(tmpdir(), 'pulumi-backend-diy-'))
        diy = new PulumiCli(`file://${stateDir}`, '')
        diy.defaultEnv = { ...env, PULUMI_CONFIG_PASSPHRASE: 'test' }
        await diy.run(['login', `file://${stateDir}`])
        await diy.run(['stack', 'init', `m${index}`])
      })
      after(() => {
        ours?.cleanup()
        diy?.cleanup()
        if (stateDir) rmSync(stateDir, { recursive: true, force: true })
      })

      for (const [n, step] of [...steps, { name: 'modes', resources: {} }].entries()) {
        it(`step ${n + 1}: export equals the file backend's state`, async () => {
          ours.writeProject(step)
          diy.writeProject(step)
          await Promise.all([ours.run(UP), diy.run(UP)])
          const [mine, theirs] = await Promise.all([
            ours.exportStack(`acme/modes/m${index}`, ['--show-secrets']),
            diy.exportStack(`m${index}`, ['--show-secrets']),
          ])
          assert.deepEqual(comparable(mine), comparable(theirs))
        })
      }
    })
  }
})
