// Runs the real `pulumi` CLI built by `npm run cli:install` (scripts/cli-install.mjs) against this server.
// Each PulumiCli has its own PULUMI_HOME and HOME, a clean environment (no CI or agent variables, no
// credentials of the machine), plugins only from the cache's bin directory and no network beyond loopback.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = new URL('../../../', import.meta.url).pathname
const pins = JSON.parse(readFileSync(join(root, 'scripts/pulumi-cli.json'), 'utf8')) as { pulumi: string }
const cacheDir = join(root, '.cache/pulumi-cli', `v${pins.pulumi}`)
export const CLI_BIN = join(cacheDir, 'bin')
/** node_modules holding the pinned @pulumi/pulumi (Automation API), when cli:install could install it. */
export const NODE_SDK_DIR = join(cacheDir, 'node/node_modules')

const BINARIES = ['pulumi', 'pulumi-language-yaml', 'pulumi-resource-testprov']

/**
 * Why the real CLI cannot run here (node:test prints it as the skip reason), or undefined when it can. Suites
 * that run no program (e.g. webhook and search commands) need only the `pulumi` binary.
 */
export function realCliSkipReason(binaries: readonly string[] = BINARIES): string | undefined {
  const missing = binaries.filter((name) => !existsSync(join(CLI_BIN, name)))
  if (missing.length === 0) return undefined
  return `real pulumi CLI v${pins.pulumi} not built (${missing.join(', ')} missing in ${CLI_BIN}); run \`npm run cli:install\``
}

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  cwd?: string
  env?: Record<string, string>
  /** Written to stdin, then stdin is closed. */
  input?: string
  /** Resolve with the result instead of rejecting when the exit code is not 0. */
  allowFailure?: boolean
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g
export const stripAnsi = (text: string) => text.replace(ANSI, '')

export class CliFailure extends Error {
  constructor(
    readonly args: string[],
    readonly result: CliResult,
  ) {
    super(
      `pulumi ${args.join(' ')} exited ${result.code ?? result.signal}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
    )
  }
}

export class PulumiCli {
  readonly dir: string
  readonly home: string
  /** The default working directory: a project directory once writeProject was called. */
  cwd: string
  /** Environment added to every command of this CLI (before a command's own). */
  defaultEnv: Record<string, string> = {}

  constructor(
    readonly serverUrl: string,
    readonly token: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'pulumi-backend-cli-'))
    this.home = join(this.dir, 'pulumi-home')
    this.cwd = join(this.dir, 'project')
    mkdirSync(this.home)
    mkdirSync(this.cwd)
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: `${CLI_BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: this.dir,
      PULUMI_HOME: this.home,
      PULUMI_ACCESS_TOKEN: this.token,
      PULUMI_SKIP_UPDATE_CHECK: 'true',
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
      // Any request that is not to loopback fails fast (Go's net/http honours these).
      HTTP_PROXY: 'http://127.0.0.1:9',
      HTTPS_PROXY: 'http://127.0.0.1:9',
      NO_PROXY: '127.0.0.1,localhost',
      TERM: 'dumb',
      ...this.defaultEnv,
      ...extra,
    }
  }

  spawn(args: string[], options: RunOptions = {}): ChildProcess {
    return spawn(join(CLI_BIN, 'pulumi'), args, {
      cwd: options.cwd ?? this.cwd,
      env: this.env(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    })
  }

  /** Runs `pulumi <args>` and resolves with its output (rejects on a non-zero exit unless allowFailure). */
  run(args: string[], options: RunOptions = {}): Promise<CliResult> {
    return finished(this.spawn(args, options), options.input).then((result) => {
      if (result.code !== 0 && !options.allowFailure) throw new CliFailure(args, result)
      return result
    })
  }

  /** `pulumi login <server>` with the token from the environment. */
  login(): Promise<CliResult> {
    return this.run(['login', this.serverUrl])
  }

  /** Writes Pulumi.yaml (JSON is valid YAML) for a YAML program into the working directory. */
  writeProject(program: YamlProgram, dir = this.cwd): void {
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'Pulumi.yaml'), JSON.stringify({ runtime: 'yaml', ...program }, null, 2))
  }

  /** `pulumi stack export --show-secrets` parsed. */
  async exportStack(stack: string, extra: string[] = []): Promise<Deployment> {
    const result = await this.run(['stack', 'export', '--stack', stack, ...extra])
    return JSON.parse(result.stdout) as Deployment
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true })
  }
}

export function finished(child: ChildProcess, input?: string): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  if (input !== undefined) child.stdin?.end(input)
  else child.stdin?.end()
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) =>
      resolve({ code, signal, stdout: stripAnsi(stdout), stderr: stripAnsi(stderr) }),
    )
  })
}

export interface YamlResource {
  type: string
  properties?: Record<string, unknown>
  options?: Record<string, unknown>
}

export interface YamlProgram {
  name: string
  resources?: Record<string, YamlResource>
  outputs?: Record<string, unknown>
  config?: Record<string, unknown>
  variables?: Record<string, unknown>
}

export interface StateResource {
  urn: string
  type: string
  id?: string
  custom?: boolean
  protect?: boolean
  parent?: string
  inputs?: Record<string, unknown>
  outputs?: Record<string, unknown>
}

export interface Deployment {
  version: number
  deployment: { resources?: StateResource[]; secrets_providers?: { type: string }; manifest: unknown }
}

/** A YAML interpolation, `${expr}` (e.g. ref('a.value')). */
export const ref = (expr: string) => `\${${expr}}`

/** A custom resource of our test provider (test/cli/provider). */
export function item(value: string, extra: Record<string, unknown> = {}, options?: Record<string, unknown>) {
  return { type: 'testprov:index:Item', properties: { value, ...extra }, ...(options ? { options } : {}) }
}

/** URN type and name of every resource of a deployment, in state order. */
export function resourceNames(deployment: Deployment): string[] {
  return (deployment.deployment.resources ?? []).map((r) => `${r.type}::${r.urn.split('::').pop()}`)
}

export function findResource(deployment: Deployment, name: string): StateResource | undefined {
  return deployment.deployment.resources?.find((r) => r.urn.endsWith(`::${name}`))
}
