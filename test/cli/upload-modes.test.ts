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
import { startTimingProxy, type TimingProxy } from '../support/timing-proxy.js'
import {
  type Deployment,
  item,
  PulumiCli,
  realCliSkipReason,
  ref,
  type YamlProgram,
} from './support/real-cli.js'

const UP = ['up', '--yes', '--skip-preview']

/** One program of the sequence; ~2 KB per resource, a secret output and a component with two children. */
function program(aValue: string, cKey: string, fourth: 'd' | 'e'): YamlProgram {
  return {
    name: 'modes',
    resources: {
      a: item(aValue, { payloadBytes: 2048 }),
      b: item('b', { payloadBytes: 2048, secret: 'pssst' }),
      c: item('c', { payloadBytes: 2048, replaceKey: cKey }),
      [fourth]: item(fourth, { payloadBytes: 2048 }),
      g: { type: 'testprov:index:Group', properties: { count: 2 } },
    },
    outputs: { secret: ref('b.secretEcho') },
  }
}

/** The sequence: creates; then an update (a), a replacement (c), a delete (d) and an add (e); then empty. */
const steps: YamlProgram[] = [program('a', 'one', 'd'), program('a2', 'two', 'e')]

/**
 * What must agree between the two backends: every resource's identity, inputs, outputs (secrets shown),
 * parent, dependencies and provider. Ids (random per create), timestamps, source positions and the secrets
 * provider (passphrase vs service) differ by design, and so does the order of resources created in parallel:
 * ids become `<id of urn>` and resources are sorted by URN.
 */
function comparable(deployment: Deployment): unknown {
  const resources = deployment.deployment.resources ?? []
  const idToUrn = new Map(resources.map((r) => [r.id ?? '', r.urn]))
  const anonymize = (ref: unknown) => {
    if (typeof ref !== 'string') return ref
    const at = ref.lastIndexOf('::')
    return `${ref.slice(0, at)}::<id of ${idToUrn.get(ref.slice(at + 2)) ?? '?'}>`
  }
  return resources
    .map((r) => {
      const { id, created, modified, sourcePosition, stackTrace, provider, ...rest } = r as typeof r &
        Record<string, unknown>
      return { ...rest, id: id ? `<id of ${r.urn}>` : undefined, provider: anonymize(provider) }
    })
    .sort((a, b) => (a.urn < b.urn ? -1 : 1))
}

const UPLOADS = ['journalentries', 'checkpoint', 'checkpointdelta', 'checkpointverbatim']

/** Label, the CLI's switches, and the upload requests the mode must (and only may) use. */
const MODES: [string, Record<string, string>, string[]][] = [
  ['journaling (default)', {}, ['journalentries']],
  [
    'delta checkpoints (PULUMI_DISABLE_JOURNALING=true)',
    { PULUMI_DISABLE_JOURNALING: 'true' },
    ['checkpointdelta', 'checkpointverbatim'],
  ],
  [
    'full checkpoints (PULUMI_OPTIMIZED_CHECKPOINT_PATCH=false)',
    { PULUMI_DISABLE_JOURNALING: 'true', PULUMI_OPTIMIZED_CHECKPOINT_PATCH: 'false' },
    ['checkpoint'],
  ],
]

describe('real CLI: upload modes end with the state the CLI believes', { skip: realCliSkipReason() }, () => {
  let server: TestServer
  // A small delta cutoff so these few-KB states go through delta checkpoints when journaling is off.
  useTestServer({ args: ['-delta-cutoff=1024'] }, (s) => {
    server = s
  })

  for (const [index, [label, env, uses]] of MODES.entries()) {
    describe(label, () => {
      let ours: PulumiCli
      let diy: PulumiCli
      let stateDir: string
      let proxy: TimingProxy
      before(async () => {
        // Through a counting proxy, to check which upload requests the CLI really made.
        proxy = await startTimingProxy(server.url)
        ours = new PulumiCli(proxy.url, server.token)
        ours.defaultEnv = env
        ours.writeProject(steps[0] as YamlProgram)
        await ours.login()
        await ours.run(['stack', 'init', `acme/modes/m${index}`])
        stateDir = mkdtempSync(join(tmpdir(), 'pulumi-backend-diy-'))
        diy = new PulumiCli(`file://${stateDir}`, '')
        diy.defaultEnv = { ...env, PULUMI_CONFIG_PASSPHRASE: 'test' }
        diy.writeProject(steps[0] as YamlProgram)
        await diy.run(['login', `file://${stateDir}`])
        await diy.run(['stack', 'init', `m${index}`])
      })
      after(async () => {
        await proxy?.close()
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

      it(`the CLI uploaded with ${uses.join(' / ')} only`, () => {
        const used = UPLOADS.filter((kind) => (proxy.kinds.get(`PATCH ${kind}`) ?? 0) > 0)
        assert.deepEqual(used.sort(), [...uses].sort())
      })
    })
  }
})
