// `pulumi new` with the real CLI (npm run cli:install) from a template directory served by this server
// (-templates-dir: registry templates, issue "hardening" part 4), then `up` of the new project.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { findOption } from '../../src/config/option-table.js'
import { type TestServer, useTestServer } from '../support/test-server.js'
import { findResource, PulumiCli, realCliSkipReason } from './support/real-cli.js'

const skip =
  realCliSkipReason() ??
  (findOption('templates-dir')
    ? undefined
    : 'this server has no -templates-dir option yet (registry templates)')

/** A templates directory with one YAML template: `pulumi new` fills in its placeholders and config. */
function makeTemplates(): string {
  const templates = mkdtempSync(join(tmpdir(), 'pulumi-backend-templates-'))
  mkdirSync(join(templates, 'yaml-item'))
  writeFileSync(
    join(templates, 'yaml-item', 'Pulumi.yaml'),
    [
      'name: $' + '{PROJECT}',
      'description: $' + '{DESCRIPTION}',
      'runtime: yaml',
      'template:',
      '  description: One test provider item',
      '  config:',
      '    greeting:',
      '      description: what the item holds',
      '      default: hello',
      'resources:',
      '  first:',
      '    type: testprov:index:Item',
      '    properties:',
      '      value: $' + '{greeting}',
      'outputs:',
      '  value: $' + '{first.value}',
      '',
    ].join('\n'),
  )
  return templates
}

const templates = skip ? '' : makeTemplates()

describe('real CLI: pulumi new from -templates-dir', { skip }, () => {
  let server: TestServer
  let cli: PulumiCli
  useTestServer({ args: [`-templates-dir=${templates}`] }, (s) => {
    server = s
  })
  before(async () => {
    cli = new PulumiCli(server.url, server.token)
    // `pulumi new <name>` also clones the public templates repository, and fails without network
    // (templates/workspace.go :: listProjectTemplates): point it at an empty local repository instead.
    const repo = join(cli.dir, 'public-templates')
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], {
        cwd: repo,
      })
    mkdirSync(repo)
    git('init', '-q', '-b', 'master')
    writeFileSync(join(repo, 'README.md'), 'no public templates here\n')
    git('add', 'README.md')
    git('commit', '-q', '-m', 'empty')
    cli.defaultEnv = { PULUMI_TEMPLATE_GIT_REPOSITORY: `file://${repo}`, PULUMI_TEMPLATE_BRANCH: 'master' }
    await cli.login()
  })
  after(() => {
    cli?.cleanup()
    if (templates) rmSync(templates, { recursive: true, force: true })
  })

  it('lists the template, creates the project and stack, and the new project deploys', async () => {
    const list = await cli.run(['template', 'list'])
    assert.match(list.stdout, /yaml-item/)
    const dir = join(cli.dir, 'fresh')
    // --generate-only: the plugin installation step of `pulumi new` would look our test provider up on GitHub;
    // the stack and config are then made by hand.
    await cli.run(['new', 'yaml-item', '--generate-only', '--yes', '--dir', dir, '--name', 'fresh'])
    await cli.run(['stack', 'init', 'acme/fresh/dev'], { cwd: dir })
    await cli.run(['config', 'set', 'greeting', 'hi there'], { cwd: dir })
    const project = readFileSync(join(dir, 'Pulumi.yaml'), 'utf8')
    assert.match(project, /^name: fresh$/m)
    assert.doesNotMatch(project, /^template:/m, 'pulumi new strips the template section')
    assert.ok(existsSync(join(dir, 'Pulumi.dev.yaml')))
    await cli.run(['up', '--yes', '--skip-preview'], { cwd: dir })
    const exported = await cli.exportStack('acme/fresh/dev')
    assert.equal(findResource(exported, 'first')?.outputs?.value, 'hi there')
  })
})
