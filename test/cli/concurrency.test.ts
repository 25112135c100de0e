// The real pulumi CLI (npm run cli:install) racing itself on one stack: a second `up` is refused with the
// CLI's exact conflict text, `pulumi cancel` from another process frees the stack, and after a `kill -9` of the
// CLI mid-update, `cancel` keeps every resource the CLI had reported.
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { type TestServer, useTestServer } from '../support/test-server.js'
import {
  findResource,
  finished,
  item,
  PulumiCli,
  realCliSkipReason,
  type YamlProgram,
} from './support/real-cli.js'

const UP = ['up', '--yes', '--skip-preview']
// sdk/go/auto/errors.go :: IsConcurrentUpdateError matches this exact text.
const CONFLICT = '[409] Conflict: Another update is currently in progress.'

/** `count` Items created one after another (each depends on the previous), each taking `sleepMs`. */
function chain(count: number, sleepMs: number, value = 'v'): YamlProgram {
  const resources: YamlProgram['resources'] = {}
  for (let i = 0; i < count; i++) {
    resources[`step${i}`] = item(
      value,
      { sleepMs },
      i === 0 ? undefined : { dependsOn: [`\${step${i - 1}}`] },
    )
  }
  return { name: 'race', resources }
}

/** Collects a running CLI's stdout and resolves once `pattern` matched it `times` times. */
function waitForOutput(child: ChildProcess, pattern: RegExp, times = 1): Promise<string> {
  let out = ''
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8')
      if ((out.match(new RegExp(pattern, 'g')) ?? []).length >= times) {
        child.stdout?.off('data', onData)
        resolve(out)
      }
    }
    child.stdout?.on('data', onData)
    child.once('close', () => reject(new Error(`exited before ${pattern} ×${times}:\n${out}`)))
  })
}

describe('real CLI: concurrent updates, cancel, kill -9', { skip: realCliSkipReason() }, () => {
  let server: TestServer
  let cli: PulumiCli
  let other: PulumiCli
  useTestServer({}, (s) => {
    server = s
  })
  before(async () => {
    cli = new PulumiCli(server.url, server.token)
    other = new PulumiCli(server.url, server.token)
    await cli.login()
    await other.login()
  })
  after(() => {
    cli?.cleanup()
    other?.cleanup()
  })

  it('a second up fails with the exact conflict text; cancel from another process frees the stack', async () => {
    cli.writeProject(chain(1, 60_000))
    other.writeProject(chain(1, 0))
    await cli.run(['stack', 'init', 'acme/race/one'])
    await other.run(['stack', 'select', 'acme/race/one'])
    const first = cli.spawn(UP)
    const firstDone = finished(first)
    await waitForOutput(first, /step0 creating/)
    const second = await other.run(UP, { allowFailure: true })
    assert.notEqual(second.code, 0)
    assert.ok(second.stderr.includes(CONFLICT), second.stderr)
    await other.run(['cancel', '--yes'])
    first.kill('SIGKILL')
    await firstDone
    const again = await other.run(UP)
    assert.match(again.stdout, /1 created/)
  })

  it('kill -9 mid-update, then cancel: every resource the CLI reported created is kept', async () => {
    cli.writeProject(chain(6, 700))
    await cli.run(['stack', 'init', 'acme/race/two'])
    const up = cli.spawn(UP)
    const done = finished(up)
    // The CLI prints "created" just before it journals the step (engine/update.go :: OnResourceStepPost emits
    // the outputs event, then SnapshotMutation.End waits for the server's ack), and a dependent step starts
    // only after that ack. So once step3 is creating, the server has acknowledged step0..2: kill then.
    const output = await waitForOutput(up, /step3 creating/)
    up.kill('SIGKILL')
    await done
    const reported = [...output.matchAll(/(step\d) created/g)].map((m) => m[1] ?? '')
    assert.deepEqual(reported, ['step0', 'step1', 'step2'])
    await cli.run(['cancel', '--yes'])
    const exported = await cli.exportStack('acme/race/two')
    for (const name of reported) assert.ok(findResource(exported, name)?.id, `${name} kept after kill -9`)
    const resumed = await cli.run(UP)
    assert.equal(resumed.code, 0)
    const final = await cli.exportStack('acme/race/two')
    for (let i = 0; i < 6; i++) assert.ok(findResource(final, `step${i}`)?.id)
  })
})
