// The Automation API (LocalWorkspace from @pulumi/pulumi/automation, installed by npm run cli:install at the
// newest version that supports Node 20) driving the real CLI against this server.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type TestServer, useTestServer } from '../support/test-server.js'
import { CLI_BIN, item, NODE_SDK_DIR, PulumiCli, realCliSkipReason, ref } from './support/real-cli.js'

const automationEntry = join(NODE_SDK_DIR, '@pulumi/pulumi/automation/index.js')
const skip =
  realCliSkipReason() ??
  (existsSync(automationEntry)
    ? undefined
    : `@pulumi/pulumi not installed in ${NODE_SDK_DIR} (npm run cli:install)`)

// The parts of the Automation API this test uses (the package is loaded at run time from the cache).
interface OutputMap {
  [key: string]: { value: unknown; secret: boolean }
}
interface Stack {
  setConfig(key: string, value: { value: string; secret?: boolean }): Promise<void>
  up(
    opts?: object,
  ): Promise<{ outputs: OutputMap; summary: { result: string; resourceChanges?: Record<string, number> } }>
  preview(opts?: object): Promise<{ changeSummary: Record<string, number> }>
  refresh(opts?: object): Promise<{ summary: { result: string } }>
  destroy(opts?: object): Promise<{ summary: { result: string } }>
  history(): Promise<{ kind: string; result: string }[]>
  workspace: { removeStack(name: string): Promise<void> }
}
interface Automation {
  LocalWorkspace: { createStack(args: object, opts: object): Promise<Stack> }
  PulumiCommand: { get(opts: object): Promise<unknown> }
  ConcurrentUpdateError: new (...args: never[]) => Error
}

describe('real CLI: Automation API (LocalWorkspace)', { skip }, () => {
  let server: TestServer
  let cli: PulumiCli
  let automation: Automation
  useTestServer({}, (s) => {
    server = s
  })
  before(async () => {
    automation = (await import(automationEntry)) as Automation
    cli = new PulumiCli(server.url, server.token)
    cli.writeProject({
      name: 'auto',
      config: { token: { type: 'string' } },
      resources: { a: item('one', { secret: ref('token'), sleepMs: 3000 }) },
      outputs: { echoed: ref('a.secretEcho'), value: ref('a.value') },
    })
  })
  after(() => cli?.cleanup())

  it('creates a stack, sets secret config, previews, ups, refreshes, detects a concurrent update, destroys', async () => {
    const pulumiCommand = await automation.PulumiCommand.get({
      root: join(CLI_BIN, '..'),
      skipVersionCheck: true,
    })
    const stack = await automation.LocalWorkspace.createStack(
      { stackName: 'acme/auto/dev', workDir: cli.cwd },
      { pulumiCommand, pulumiHome: cli.home, envVars: { ...cli.env(), PULUMI_BACKEND_URL: server.url } },
    )
    await stack.setConfig('token', { value: 'tok-123', secret: true })
    const preview = await stack.preview()
    assert.equal(preview.changeSummary.create, 2)
    // Two ups at once: whichever starts its update second fails with the CLI's conflict, which the Automation API
    // recognises by its exact text (sdk/nodejs/automation/errors.ts :: ConcurrentUpdateError).
    const results = await Promise.allSettled([stack.up(), delayed(300, () => stack.up())])
    const fulfilled = results.filter((r) => r.status === 'fulfilled')
    const rejected = results.filter((r) => r.status === 'rejected')
    assert.equal(fulfilled.length, 1)
    assert.equal(rejected.length, 1)
    assert.ok(
      rejected[0]?.reason instanceof automation.ConcurrentUpdateError,
      `the other up is a ConcurrentUpdateError: ${String(rejected[0]?.reason)}`,
    )
    const up = fulfilled[0]?.value
    assert.equal(up?.summary.result, 'succeeded')
    assert.deepEqual(up?.outputs.echoed, { value: 'tok-123', secret: true })
    assert.deepEqual(up?.outputs.value, { value: 'one', secret: false })
    assert.equal((await stack.refresh()).summary.result, 'succeeded')
    assert.equal((await stack.destroy()).summary.result, 'succeeded')
    const history = await stack.history()
    assert.deepEqual(
      history.map((h) => h.kind),
      ['destroy', 'refresh', 'update'],
    )
    await stack.workspace.removeStack('acme/auto/dev')
  })
})

async function delayed<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  await new Promise((resolve) => setTimeout(resolve, ms))
  return fn()
}
