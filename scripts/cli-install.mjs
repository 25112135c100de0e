#!/usr/bin/env node
// `npm run cli:install`: builds the pinned stock `pulumi` CLI, its YAML language host and our test provider
// (test/cli/provider) from the Go module proxy into .cache/pulumi-cli/v<version>/bin (git-ignored), and installs
// the pinned @pulumi/pulumi (Automation API) into .cache/pulumi-cli/v<version>/node. Versions: scripts/pulumi-cli.json.
// Go's module and build caches are reused, so a second run takes seconds. Without Go or the module proxy it
// prints one line saying why and exits 0: the real-CLI suite (test/cli) is then skipped.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const pins = JSON.parse(readFileSync(join(root, 'scripts/pulumi-cli.json'), 'utf8'))
const cacheDir = join(root, '.cache/pulumi-cli', `v${pins.pulumi}`)
const modDir = join(cacheDir, 'build')
const binDir = join(cacheDir, 'bin')
const nodeDir = join(cacheDir, 'node')
// GOTOOLCHAIN=local: never download another Go toolchain; the machine's Go must accept the pinned version.
const goEnv = {
  ...process.env,
  GOTOOLCHAIN: 'local',
  GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim(),
}
const started = performance.now()

function log(message) {
  console.log(`cli:install: ${message}`)
}

function skip(reason) {
  log(`skipped — ${reason}; the real-CLI suite (test/cli) will be skipped`)
  process.exit(0)
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', env: goEnv, ...options })
  return {
    ok: result.status === 0,
    output: `${result.stdout ?? ''}${result.stderr ?? ''}`,
    error: result.error,
  }
}

function lastLine(text) {
  return (
    text
      .trim()
      .split('\n')
      .filter((line) => line.trim() !== '')
      .pop() ?? ''
  )
}

const goVersion = run('go', ['version'])
if (goVersion.error || !goVersion.ok) skip('Go is not installed (`go version` failed)')
log(`${goVersion.output.trim()}; building pulumi v${pins.pulumi}, pulumi-language-yaml v${pins.pulumiYaml}`)

// A scratch module of our own: pkg/go.mod carries `replace` directives, so `go install pkg@version` refuses it.
// Its requires and the clipboard replace repeat pkg/go.mod's (the sdk replace points at ../sdk, so require the
// same sdk version instead).
mkdirSync(join(modDir, 'cmd/pulumi-resource-testprov'), { recursive: true })
const goMod = `module pulumi-backend-cli-build

go 1.26

require (
\tgithub.com/pulumi/pulumi/pkg/v3 v${pins.pulumi}
\tgithub.com/pulumi/pulumi/sdk/v3 v${pins.pulumi}
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
`
const goModPath = join(modDir, 'go.mod')
const resolvedMarker = join(modDir, '.resolved')
// The marker holds the go.mod it resolved: a new pin or template resolves again.
const resolvedFor = goMod
const freshModule = !existsSync(resolvedMarker) || readFileSync(resolvedMarker, 'utf8') !== resolvedFor
if (freshModule) writeFileSync(goModPath, goMod)
const providerSource = join(root, 'test/cli/provider')
for (const file of readdirSync(providerSource).filter((name) => name.endsWith('.go'))) {
  copyFileSync(join(providerSource, file), join(modDir, 'cmd/pulumi-resource-testprov', file))
}

const cli = 'github.com/pulumi/pulumi/pkg/v3/cmd/pulumi'
if (freshModule) {
  log('resolving modules (go get; the first run downloads ~1.5 GB of modules)')
  const got = run(
    'go',
    ['get', `${cli}@v${pins.pulumi}`, `github.com/pulumi/pulumi/sdk/v3@v${pins.pulumi}`],
    {
      cwd: modDir,
    },
  )
  // No proxy, or a Go too old for the pinned go directive: both end up here, with go's own last line.
  if (!got.ok) skip(`go get of the pinned modules failed (${lastLine(got.output)})`)
  writeFileSync(resolvedMarker, resolvedFor)
}

// What `go` says when it cannot reach the module proxy (or was told not to): a reason to skip, not a failure.
const PROXY_TROUBLE =
  /GOPROXY|proxy\.golang\.org|dial tcp|no such host|connection refused|i\/o timeout|lookup disabled/

function mustBuild(what, result) {
  if (result.ok) return
  if (PROXY_TROUBLE.test(result.output))
    skip(`could not fetch modules for ${what} (${lastLine(result.output)})`)
  console.error(result.output)
  log(`building ${what} failed (output above)`)
  process.exit(1)
}

log(
  'compiling pulumi and the test provider (a cold build takes ~15 min on 2 cores; later runs seconds to a minute)',
)
mkdirSync(binDir, { recursive: true })
// Stamp the version as release builds do (`pulumi version`, the User-Agent, the Automation API's version check).
const ldflags = `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${pins.pulumi}`
const targets = [cli, './cmd/pulumi-resource-testprov']
mustBuild(
  'pulumi',
  run('go', ['build', '-mod=mod', '-ldflags', ldflags, '-o', `${binDir}/`, ...targets], { cwd: modDir }),
)

// pulumi-yaml has no replace directives, so `go install @version` builds it with its own dependency versions
// (it does not compile against the CLI's newer pkg/v3, so it cannot share the scratch module).
log(`compiling pulumi-language-yaml v${pins.pulumiYaml}`)
const yaml = run(
  'go',
  ['install', `github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@v${pins.pulumiYaml}`],
  {
    env: { ...goEnv, GOBIN: binDir },
  },
)
mustBuild('pulumi-language-yaml', yaml)

// The Automation API test loads @pulumi/pulumi from here; the newest release whose engines allow Node 20.
if (!existsSync(join(nodeDir, 'node_modules/@pulumi/pulumi/package.json'))) {
  log(`installing @pulumi/pulumi@${pins.nodeSdk} for the Automation API test`)
  mkdirSync(nodeDir, { recursive: true })
  writeFileSync(join(nodeDir, 'package.json'), '{"private": true}\n')
  const npm = run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--ignore-scripts', `@pulumi/pulumi@${pins.nodeSdk}`],
    { cwd: nodeDir },
  )
  if (!npm.ok) log(`npm install failed, the Automation API test will be skipped (${lastLine(npm.output)})`)
}

log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s: ${binDir}`)
