// The registry calls of `pulumi new` and `pulumi template list`, replayed as the CLI makes them:
// templates/templates.go :: newImpl (two listings, backing=registry and backing=vcs, or one filtered by name),
// client.go :: ListTemplates / GetTemplate / DownloadTemplate / ListPackages / GetPackage.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { gunzipSync } from 'node:zlib'
import type { ListTemplatesResponse, TemplateMetadata } from '../../src/apitype/registry.js'
import { createApp, StartupError } from '../../src/app.js'
import { loadConfig } from '../../src/config/load-config.js'
import { assertApiError } from '../support/assert-api-error.js'
import type { CliClient } from '../support/cli-client.js'
import { useTestServer } from '../support/test-server.js'

/** A Pulumi.yaml placeholder such as `${PROJECT}`, which `pulumi new` fills in. */
const PLACEHOLDER = (name: string) => `$\{${name}}`

const listTemplates = async (cli: CliClient, query: string) =>
  (await cli.call<ListTemplatesResponse>('GET', `/api/registry/templates?${query}`, { command: 'new' })).body

describe('registry without a templates directory', () => {
  let cli: CliClient
  useTestServer({}, (started) => {
    cli = started.client
  })

  it('lists no templates, so `pulumi new` offers only the CLI public templates', async () => {
    for (const query of [
      'backing=registry&limit=499',
      'backing=vcs&limit=499',
      'limit=499&name=aws-typescript',
    ]) {
      const body = await listTemplates(cli, query)
      assert.deepEqual(body, { templates: [] }, query)
    }
    await assertApiError(cli.call('GET', '/api/registry/templates/private/acme/web/versions/latest'), 404)
  })

  it('lists no organization templates (PULUMI_DISABLE_REGISTRY_RESOLVE or an older CLI)', async () => {
    const body = await cli.call('GET', '/api/orgs/acme/templates')
    assert.deepEqual(body.body, {
      templates: { 'templates-dir': [] },
      orgHasTemplates: false,
      hasAccessError: false,
      hasUpstreamError: false,
    })
  })

  it('holds no packages: an empty search and a 404 look-up (the CLI normal not-found path)', async () => {
    const list = await cli.call('GET', '/api/registry/packages?limit=499&name=aws')
    assert.deepEqual(list.body, { packages: [] })
    await assertApiError(
      cli.call('GET', '/api/registry/packages/pulumi/pulumi/aws/versions/latest'),
      404,
      /package hosting is not provided by this server/,
    )
  })
})

describe('registry templates from -templates-dir', () => {
  let cli: CliClient
  let baseUrl: string
  const root = mkdtempSync(join(tmpdir(), 'pulumi-backend-templates-'))
  const templates = join(root, 'templates')
  const outside = join(root, 'outside')
  const longName = `${'nested-folder/'.repeat(8)}${'a-rather-long-file-name-'.repeat(3)}.ts`

  // A directory like github.com/pulumi/templates, plus everything that must not be served.
  mkdirSync(join(templates, 'web-ts', 'src'), { recursive: true })
  writeFileSync(
    join(templates, 'web-ts', 'Pulumi.yaml'),
    [
      `name: ${PLACEHOLDER('PROJECT')}`,
      `description: ${PLACEHOLDER('DESCRIPTION')}`,
      'runtime:',
      '  name: nodejs',
      '  options:',
      '    typescript: true',
      'template:',
      '  displayName: Web service',
      '  description: A TypeScript web service on AWS',
      '  metadata:',
      '    cloud: aws',
      '  config:',
      '    aws:region:',
      '      default: us-west-2',
      '',
    ].join('\n'),
  )
  writeFileSync(join(templates, 'web-ts', 'index.ts'), 'export const answer = 42\n')
  writeFileSync(join(templates, 'web-ts', 'setup.sh'), '#!/bin/sh\necho hi\n')
  chmodSync(join(templates, 'web-ts', 'setup.sh'), 0o755)
  mkdirSync(join(templates, 'web-ts', ...longName.split('/').slice(0, -1)), { recursive: true })
  writeFileSync(join(templates, 'web-ts', longName), 'deep\n')
  writeFileSync(join(templates, 'web-ts', 'src', 'héllo.ts'), 'unicode\n')
  mkdirSync(join(templates, 'py-app'))
  writeFileSync(
    join(templates, 'py-app', 'Pulumi.yaml'),
    `name: ${PLACEHOLDER('PROJECT')}\nruntime: python\n`,
  )
  // The CLI loads only Pulumi.yaml from a downloaded template, so these are no templates.
  mkdirSync(join(templates, 'yml-only'))
  writeFileSync(join(templates, 'yml-only', 'Pulumi.yml'), 'name: x\nruntime: go\n')
  mkdirSync(join(templates, 'no-runtime'))
  writeFileSync(join(templates, 'no-runtime', 'Pulumi.yaml'), 'name: x\n')
  writeFileSync(join(templates, 'py-app', '__main__.py'), 'print("hi")\n')
  mkdirSync(join(templates, 'not-a-template'))
  writeFileSync(join(templates, 'not-a-template', 'notes.txt'), 'no Pulumi.yaml here\n')
  mkdirSync(join(templates, '.hidden'))
  writeFileSync(join(templates, '.hidden', 'Pulumi.yaml'), 'name: hidden\nruntime: go\n')
  mkdirSync(join(templates, 'broken'))
  writeFileSync(join(templates, 'broken', 'Pulumi.yaml'), '- just\n- a list\n')
  writeFileSync(join(templates, 'README.md'), 'a file, not a template\n')
  // Links that point outside the directory: never listed, never packed.
  mkdirSync(join(outside, 'stolen'), { recursive: true })
  writeFileSync(join(outside, 'secret.txt'), 'top secret\n')
  writeFileSync(join(outside, 'stolen', 'Pulumi.yaml'), 'name: stolen\nruntime: nodejs\n')
  symlinkSync(join(outside, 'stolen'), join(templates, 'linked'))
  symlinkSync(join(outside, 'secret.txt'), join(templates, 'web-ts', 'leak.txt'))
  symlinkSync(outside, join(templates, 'web-ts', 'outside-dir'))

  useTestServer({ args: [`-templates-dir=${templates}`] }, (started) => {
    cli = started.client
    baseUrl = started.url.replace(/\/$/, '')
  })
  after(() => rmSync(root, { recursive: true, force: true }))

  it('lists the template folders in the Cloud shape, registry-backed, published by the organization', async () => {
    const body = await listTemplates(cli, 'backing=registry&limit=499')
    assert.deepEqual(
      body.templates.map((t) => t.name),
      ['py-app', 'web-ts'],
    )
    assert.equal(body.continuationToken, undefined, 'the CLI loops while a token is set')
    const web = body.templates[1]
    assert.ok(web)
    assert.equal(web.publisher, 'acme')
    assert.equal(web.source, 'private')
    assert.equal(web.displayName, 'Web service')
    assert.equal(web.description, 'A TypeScript web service on AWS')
    assert.equal(web.language, 'nodejs')
    assert.equal(web.visibility, 'private')
    assert.deepEqual(web.metadata, { cloud: 'aws' })
    assert.ok(!Number.isNaN(Date.parse(web.updatedAt)), 'updatedAt must decode as a Go time.Time')
    assert.equal(
      web.downloadURL,
      `${baseUrl}/api/registry/templates/private/acme/web-ts/versions/latest/download`,
    )
    assert.deepEqual(body.diagnostics, [
      'template broken: Pulumi.yaml is not a YAML mapping',
      'template no-runtime: Pulumi.yaml needs a name and a runtime',
    ])

    assert.deepEqual((await listTemplates(cli, 'backing=vcs&limit=499')).templates, [])
    assert.deepEqual((await listTemplates(cli, 'backing=pulumi&backing=vcs&limit=499')).templates, [])
  })

  it('applies the name, orgLogin and search filters and pages with a continuation token', async () => {
    const names = async (query: string) => (await listTemplates(cli, query)).templates.map((t) => t.name)
    assert.deepEqual(await names('limit=499&name=web-ts'), ['web-ts'])
    assert.deepEqual(await names('limit=499&name=web'), [])
    assert.deepEqual(await names('limit=499&orgLogin=acme'), ['py-app', 'web-ts'])
    assert.deepEqual(await names('limit=499&orgLogin=someone-else'), [])
    assert.deepEqual(await names('limit=499&search=AWS'), ['web-ts'])
    assert.deepEqual(await names('limit=499&search=python'), ['py-app'])
    assert.deepEqual(await names('limit=499&search=web+python'), [], 'every term must match')

    const first = await listTemplates(cli, 'limit=1')
    assert.deepEqual(
      first.templates.map((t) => t.name),
      ['py-app'],
    )
    assert.ok(first.continuationToken)
    const second = await listTemplates(cli, `continuationToken=${first.continuationToken}&limit=1`)
    assert.deepEqual(
      second.templates.map((t) => t.name),
      ['web-ts'],
    )
    assert.equal(second.continuationToken, undefined)
  })

  it('refuses malformed listing queries with a 400', async () => {
    for (const query of ['limit=0', 'limit=ten', 'continuationToken=abc', 'backing=github']) {
      await assertApiError(cli.call('GET', `/api/registry/templates?${query}`), 400)
    }
  })

  it('resolves `pulumi new name@latest` and refuses versions it does not have', async () => {
    const latest = await cli.call<TemplateMetadata>(
      'GET',
      '/api/registry/templates/private/acme/web-ts/versions/latest',
    )
    assert.equal(latest.body.name, 'web-ts')
    await assertApiError(
      cli.call('GET', '/api/registry/templates/private/acme/web-ts/versions/1.0.0'),
      404,
      /unversioned/,
    )
  })

  it('downloads a template the way the CLI does, as a .tar.gz of exactly the folder', async () => {
    const [template] = (await listTemplates(cli, 'limit=499&name=web-ts')).templates
    assert.ok(template)
    assert.ok(template.downloadURL.startsWith(baseUrl), 'the CLI sends its token only to its own API URL')
    // client.go :: DownloadTemplate: strip the API URL, then GET with the token and Accept: application/x-tar.
    const response = await cli.call('GET', template.downloadURL.slice(baseUrl.length), {
      accept: 'application/x-tar',
    })
    assert.equal(response.headers['content-encoding'], undefined)
    assert.deepEqual([...response.raw.subarray(0, 2)], [0x1f, 0x8b], 'gzip magic (cloud.go :: isGzipMagic)')

    const work = mkdtempSync(join(tmpdir(), 'pulumi-backend-unpacked-'))
    const unpacked = join(work, 'template')
    try {
      mkdirSync(unpacked)
      writeFileSync(join(work, 'template.tar'), gunzipSync(response.raw))
      execFileSync('tar', ['-xf', join(work, 'template.tar'), '-C', unpacked])
      assert.deepEqual(
        listFiles(unpacked),
        [
          ...longName
            .split('/')
            .slice(0, -1)
            .map((_, i, parts) => `${parts.slice(0, i + 1).join('/')}/`),
          longName,
          'Pulumi.yaml',
          'index.ts',
          'setup.sh',
          'src/',
          'src/héllo.ts',
        ].sort(),
      )
      assert.equal(readFileSync(join(unpacked, 'index.ts'), 'utf8'), 'export const answer = 42\n')
      assert.equal(readFileSync(join(unpacked, longName), 'utf8'), 'deep\n')
      assert.equal(statSync(join(unpacked, 'setup.sh')).mode & 0o111, 0o111, 'executables stay executable')
      assert.match(readFileSync(join(unpacked, 'Pulumi.yaml'), 'utf8'), /displayName: Web service/)
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
  })

  it('serves the same templates through the organization-templates API, downloaded as the CLI does', async () => {
    const listing = await cli.call<{
      templates: Record<string, { name: string; sourceURL: string; runtime: string; description?: string }[]>
      orgHasTemplates: boolean
    }>('GET', '/api/orgs/acme/templates', { command: 'new' })
    assert.equal(listing.body.orgHasTemplates, true)
    const remotes = Object.values(listing.body.templates).flat()
    assert.deepEqual(
      remotes.map((t) => [t.name, t.runtime]),
      [
        ['py-app', 'python'],
        ['web-ts', 'nodejs'],
      ],
    )
    const web = remotes.find((t) => t.name === 'web-ts')
    assert.ok(web)
    assert.ok(!web.sourceURL.startsWith('https://github.com/pulumi/templates'), 'the CLI skips those')
    // client.go :: DownloadOrgTemplate: url.PathEscape(sourceURL), Accept: application/x-tar; the body goes
    // straight into tar.NewReader after Content-Encoding decoding.
    const pathEscaped = encodeURIComponent(web.sourceURL).replace(/%3A/g, ':')
    const response = await cli.call('GET', `/api/orgs/acme/template/download?url=${pathEscaped}`, {
      accept: 'application/x-tar',
    })
    assert.equal(response.headers['content-encoding'], 'gzip')
    const work = mkdtempSync(join(tmpdir(), 'pulumi-backend-org-template-'))
    try {
      writeFileSync(join(work, 'template.tar'), response.raw)
      execFileSync('tar', ['-xf', join(work, 'template.tar'), '-C', work])
      assert.equal(readFileSync(join(work, 'index.ts'), 'utf8'), 'export const answer = 42\n')
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
    await assertApiError(cli.call('GET', '/api/orgs/other/templates'), 404)
    const download = (url: string) =>
      cli.call('GET', `/api/orgs/acme/template/download?url=${encodeURIComponent(url)}`)
    await assertApiError(download('not-a-url'), 400)
    for (const name of ['..%2Foutside', '%E0%A4%A', 'linked', '.hidden']) {
      const url = `${baseUrl}/api/registry/templates/private/acme/${name}/versions/latest/download`
      await assertApiError(download(url), 404)
    }
    await assertApiError(download(`${baseUrl}/etc/passwd`), 404)
  })

  it('serves nothing outside the directory: links, hidden and non-template folders, other paths', async () => {
    const listed = (await listTemplates(cli, 'limit=499')).templates.map((t) => t.name)
    assert.deepEqual(listed, ['py-app', 'web-ts'])
    for (const name of [
      'linked',
      '.hidden',
      'not-a-template',
      'broken',
      '..%2Foutside',
      '..%2F..%2Fetc',
      '%2E%2E',
      'README.md',
    ]) {
      await assertApiError(
        cli.call('GET', `/api/registry/templates/private/acme/${name}/versions/latest/download`),
        404,
      )
    }
    await assertApiError(
      cli.call('GET', '/api/registry/templates/private/other-org/web-ts/versions/latest/download'),
      404,
    )
    await assertApiError(
      cli.call('GET', '/api/registry/templates/github/acme/web-ts/versions/latest/download'),
      404,
    )
  })

  it('asks for the access token on downloads, and picks up new templates without a restart', async () => {
    await assertApiError(
      cli.call('GET', '/api/registry/templates/private/acme/web-ts/versions/latest/download', {
        auth: { kind: 'token', token: '' },
      }),
      401,
    )
    mkdirSync(join(templates, 'added-later'))
    writeFileSync(join(templates, 'added-later', 'Pulumi.yaml'), 'name: x\nruntime: go\n')
    assert.deepEqual(
      (await listTemplates(cli, 'limit=499&name=added-later')).templates.map((t) => t.language),
      ['go'],
    )
  })

  it('builds download URLs for the URL the CLI used behind a TLS-terminating proxy', async () => {
    const body = (
      await cli.call<ListTemplatesResponse>('GET', '/api/registry/templates?limit=499&name=web-ts', {
        headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'pulumi.example.com' },
      })
    ).body
    assert.equal(
      body.templates[0]?.downloadURL,
      'https://pulumi.example.com/api/registry/templates/private/acme/web-ts/versions/latest/download',
    )
  })
})

describe('-templates-dir at startup', () => {
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pulumi-backend-bad-templates-'))
    writeFileSync(join(dir, 'a-file'), 'not a directory')
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  async function startWith(templatesDir: string) {
    const parsed = loadConfig(
      [
        '-db=:memory:',
        `-master-key=${'cd'.repeat(32)}`,
        '-single-tenant-token=t',
        `-templates-dir=${templatesDir}`,
      ],
      {},
    )
    if (parsed.kind !== 'config') throw new Error('unexpected help')
    const app = await createApp(parsed.config)
    await app.close()
  }

  it('refuses to start on a missing directory or a file, naming the option', async () => {
    await assert.rejects(startWith(join(dir, 'missing')), (error: unknown) => {
      assert.ok(error instanceof StartupError)
      assert.match(error.message, /templates directory .*missing does not exist \(-templates-dir\)/)
      return true
    })
    await assert.rejects(startWith(join(dir, 'a-file')), /is not a directory \(-templates-dir\)/)
  })
})

/** Every entry below `dir`, relative, folders with a trailing slash. */
function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((entry) => {
      const name = prefix === '' ? entry.name : `${prefix}/${entry.name}`
      return entry.isDirectory() ? [`${name}/`, ...listFiles(dir, name)] : [name]
    })
    .sort()
}
