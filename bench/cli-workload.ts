// `--workload=cli`: the real `pulumi` CLI (built by `npm run cli:install`) running a YAML project of N test
// provider resources of ~16 KB state each, against (a) this server and (b) the CLI's own DIY file backend
// (`pulumi login file://…`), each with a fresh PULUMI_HOME. Phases as the Go server's published table:
// up (create), up (no-op), up (add 2), stack export --show-secrets, destroy.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { item, PulumiCli, type YamlProgram } from '../test/cli/support/real-cli.js'
import { startTimingProxy, type TimingProxy } from '../test/support/timing-proxy.js'
import { withServer } from './server.js'

export const CLI_PHASES = ['create', 'noop', 'add2', 'export', 'destroy'] as const
export type CliPhaseName = (typeof CLI_PHASES)[number]

export interface CliPhase {
  wallMs: number
  /** This server only: requests the CLI made and the server's summed handling time (Server-Timing). */
  requests?: number
  serverMs?: number
}

export interface CliSizeResult {
  size: number
  /** Bytes of `stack export` after the create (this server). */
  exportBytes: number
  ours: Record<CliPhaseName, CliPhase>
  diy: Record<CliPhaseName, CliPhase>
}

/** Per resource: ~8 KB of input echoed in the outputs, ~16 KB of state in all (like the published generator). */
const PADDING = 'x'.repeat(8 * 1024 - 250)

export function cliBenchProgram(size: number): YamlProgram {
  const resources: YamlProgram['resources'] = {}
  for (let i = 1; i <= size; i++) {
    const name = `res-${String(i).padStart(4, '0')}`
    resources[name] = item(`${name}:${PADDING}`)
  }
  return { name: 'clibench', resources, outputs: { totalResources: size } }
}

async function timed(
  cli: PulumiCli,
  args: string[],
  proxy?: TimingProxy,
): Promise<CliPhase & { stdout: string }> {
  proxy?.take()
  const started = performance.now()
  const result = await cli.run([...args, '--non-interactive'])
  const wallMs = Math.round(performance.now() - started)
  return { wallMs, ...(proxy ? proxy.take() : {}), stdout: result.stdout }
}

async function runPhases(cli: PulumiCli, size: number, proxy?: TimingProxy) {
  const up = ['up', '--yes', '--skip-preview']
  cli.writeProject(cliBenchProgram(size))
  await cli.run(['stack', 'init', `cli${size}`, '--non-interactive'])
  const { stdout: _c, ...create } = await timed(cli, up, proxy)
  const { stdout: _n, ...noop } = await timed(cli, up, proxy)
  cli.writeProject(cliBenchProgram(size + 2))
  const { stdout: _a, ...add2 } = await timed(cli, up, proxy)
  const { stdout, ...exported } = await timed(cli, ['stack', 'export', '--show-secrets'], proxy)
  const { stdout: _d, ...destroy } = await timed(cli, ['destroy', '--yes', '--skip-preview'], proxy)
  return { phases: { create, noop, add2, export: exported, destroy }, exportBytes: Buffer.byteLength(stdout) }
}

export async function cliWorkload(size: number): Promise<CliSizeResult> {
  const ours = await withServer([], async (server) => {
    const proxy = await startTimingProxy(server.url)
    const cli = new PulumiCli(proxy.url, server.token)
    try {
      await cli.login()
      return await runPhases(cli, size, proxy)
    } finally {
      cli.cleanup()
      await proxy.close()
    }
  })
  const stateDir = mkdtempSync(join(tmpdir(), 'pulumi-backend-diy-'))
  const diyCli = new PulumiCli(`file://${stateDir}`, '')
  try {
    await diyCli.run(['login', `file://${stateDir}`])
    const diy = await runPhasesDiy(diyCli, size)
    return { size, exportBytes: ours.exportBytes, ours: ours.phases, diy }
  } finally {
    diyCli.cleanup()
    rmSync(stateDir, { recursive: true, force: true })
  }
}

function runPhasesDiy(cli: PulumiCli, size: number) {
  // The DIY backend encrypts secrets with a passphrase; the server's backend needs none.
  cli.defaultEnv = { PULUMI_CONFIG_PASSPHRASE: 'benchmark' }
  return runPhases(cli, size).then((r) => r.phases)
}
