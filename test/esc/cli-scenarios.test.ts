// Replays the HTTP side of ESC's own CLI transcripts (test/fixtures/esc/cli-scenarios): the environments of each
// scenario are stored, then every `esc env get <env>[@version] [path] [--definition]` is answered through this
// server's API (definition GET and check) and compared with the transcript's "# Value" JSON / definition text.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { isDeepStrictEqual } from 'node:util'
import { type Document, isMap, isSeq, parseDocument, type YAMLMap, type YAMLSeq } from 'yaml'
import { openDatabase } from '../../src/db/open-database.js'
import { decryptDefinitionSecrets, encryptDefinitionSecrets } from '../../src/esc/definition-secrets.js'
import { propertyAt } from '../../src/esc/environment-service.js'
import { type EscValue, toJSON } from '../../src/esc/eval/value.js'
import { OrgKeys } from '../../src/esc/org-keys.js'
import { SqlEnvironmentStore } from '../../src/esc/sql-environment-store.js'
import { systemClock } from '../../src/lib/clock.js'
import { LocalKeyProvider } from '../../src/secrets/local-key-provider.js'
import { MasterKey } from '../../src/secrets/master-key.js'
import { CliApiError } from '../support/cli-client.js'
import { queryDatabase } from '../support/db-query.js'
import { startTestServer, type TestServer } from '../support/test-server.js'

const ROOT = join(import.meta.dirname, '../fixtures/esc/cli-scenarios')
// The ESC CLI tests' fake service logs in as this user and uses it as the default organization.
const ORG = 'test-user'

let server: TestServer
before(async () => {
  server = await startTestServer()
})
after(() => server?.close())

/** The definition text of a node as the Go harness stores it: re-encoded by yaml.v3 (indent 4), comments kept. */
function definitionText(doc: Document, node: unknown, indent = 4): string {
  const out = doc.clone()
  out.contents = node as typeof out.contents
  return out.toString({ indent, flowCollectionPadding: false })
}

/** ESC's test cipher (every byte + 128), which the transcripts' ciphertexts were made with. */
const rot128 = async (bytes: Uint8Array) => bytes.map((b) => (b + 128) & 0xff)

/**
 * Seeds the scenario's environments straight into the store (no check: they use the CLI tests' fake providers).
 * With `reseal`, the transcripts' test-cipher ciphertexts are sealed again with this server's key for each
 * environment, as `esc env set --secret` against this server would have stored them.
 */
async function seed(doc: Document, prefix: string, reseal: boolean): Promise<void> {
  const envs = doc.get('environments') as YAMLMap | undefined
  if (!isMap(envs)) return
  const database = await openDatabase(server.dbPath, { maxConnections: 1 })
  const store = new SqlEnvironmentStore(database.db)
  // The test server's -master-key (test-server.ts); the server reads the org key this stores.
  const keys = new OrgKeys({
    store,
    keys: new LocalKeyProvider(MasterKey.fromHex('ab'.repeat(32))),
    clock: systemClock,
  })
  try {
    for (const pair of envs.items) {
      const [, project, name] = String((pair.key as { value: string }).value).split('/')
      const spec = pair.value as YAMLMap
      const revisions: { yaml: string; tags: string[] }[] = []
      const listed = spec.get('revisions') as YAMLSeq | undefined
      if (isSeq(listed)) {
        for (const item of listed.items as YAMLMap[]) {
          const tags = item.get('tags') as YAMLSeq | undefined
          revisions.push({
            yaml: definitionText(doc, item.get('yaml', true)),
            tags: isSeq(tags) ? tags.items.map((t) => String((t as { value: string }).value)) : [],
          })
        }
      } else revisions.push({ yaml: definitionText(doc, spec), tags: [] })
      const id = `${prefix}-${project}-${name}`
      const at = 0
      await store.create(
        {
          id,
          org: ORG,
          project: project as string,
          name: name as string,
          latestRevision: 1,
          deletionProtected: false,
          createdBy: ORG,
          createdAt: at,
          modifiedAt: at,
        },
        { revision: 1, yaml: '', creatorLogin: ORG, createdAt: at },
      )
      for (const [i, r] of revisions.entries()) {
        const yaml = reseal
          ? await encryptDefinitionSecrets(await decryptDefinitionSecrets(r.yaml, rot128), (p) =>
              keys.sealSecret(ORG, id, p),
            )
          : r.yaml
        await store.appendRevision(id, i + 1, {
          revision: i + 2,
          yaml,
          creatorLogin: ORG,
          createdAt: at,
        })
        for (const tag of r.tags) {
          await store.putRevisionTag(id, {
            name: tag,
            revision: i + 2,
            editorLogin: ORG,
            createdAt: at,
            modifiedAt: at,
          })
        }
      }
    }
  } finally {
    await database.close()
  }
}

/** `> command` sections of the first transcript (stdout). */
function transcript(text: string): Map<string, string[]> {
  const sections = new Map<string, string[]>()
  let current: string[] | undefined
  for (const line of text.split('\n')) {
    if (line.startsWith('> ')) {
      current = []
      const list = sections.get(line.slice(2)) ?? []
      sections.set(line.slice(2), list)
      list.push('')
      current = list
    } else if (current) current[current.length - 1] += `${line}\n`
  }
  return sections
}

function block(output: string, heading: string, fence: string): string | undefined {
  const start = output.indexOf(`${heading}\n\`\`\`${fence}\n`)
  if (start < 0) return undefined
  const body = output.slice(start + heading.length + fence.length + 5)
  return body.slice(0, body.indexOf('\n```'))
}

interface Outcome {
  scenario: string
  command: string
  ok: boolean
  detail?: string
}

async function replay(command: string, expected: string, scenario: string): Promise<Outcome> {
  const args = command.split(/\s+/).slice(3)
  const definitionOnly = args.includes('--definition')
  const [target, rawPath] = args.filter((a) => !a.startsWith('--'))
  const path = rawPath?.replace(/^'|'$/g, '')
  const [refText, version] = (target as string).split('@')
  const [project, name] = (refText as string).split('/')
  const base = `/api/esc/environments/${ORG}/${project}/${name}`
  const versioned = version ? `${base}/versions/${version}` : base
  const cli = server.client
  const definition = (await cli.call('GET', versioned)).raw.toString('utf8')
  if (definitionOnly) {
    // The CLI prints the definition re-encoded with an indent of 2 (env_get.go :: marshalYAML).
    const reencoded = parseDocument(definition)
    const ok = definitionText(reencoded, reencoded.contents, 2).trimEnd() === expected.trimEnd()
    return { scenario, command, ok, ...(ok ? {} : { detail: definition }) }
  }
  let properties: Record<string, EscValue> | undefined
  let checkedExprs: Record<string, ExprLike> | undefined
  try {
    const checked = await cli.call<{
      properties?: Record<string, EscValue>
      exprs?: Record<string, ExprLike>
    }>('POST', `${versioned}/check${args.includes('--show-secrets') ? '?showSecrets=true' : ''}`)
    properties = checked.body.properties
    checkedExprs = checked.body.exprs
  } catch (error) {
    if (!(error instanceof CliApiError)) throw error
    return { scenario, command, ok: false, detail: error.message }
  }
  const want = block(expected, '# Value', 'json')
  if (want === undefined) {
    const ok = !properties || Object.keys(properties).length === 0
    return { scenario, command, ok, ...(ok ? {} : { detail: 'expected no value' }) }
  }
  let got: unknown
  try {
    // The CLI renders secrets as [secret] unless --show-secrets (env_get.go :: renderValue).
    const redact = !args.includes('--show-secrets')
    got = path
      ? toJSON(propertyAt(properties ?? {}, path), redact)
      : toJSON({ value: properties ?? {} }, redact)
  } catch (error) {
    return { scenario, command, ok: false, detail: String(error) }
  }
  if (!isDeepStrictEqual(got, JSON.parse(want)))
    return { scenario, command, ok: false, detail: JSON.stringify(got) }
  // "# Defined at": the expression's range and its bases, or the value's trace (env_get.go :: getEnvironmentMember).
  const definedAt = /# Defined at\n((?:- .*\n)+)/
    .exec(expected)?.[1]
    ?.trim()
    .split('\n')
    .map((l) => l.slice(2))
  if (path && definedAt) {
    const stack = definedStack(checkedExprs, properties ?? {}, path).map((l) =>
      l.replace(`${project}/${name}:`, `${name}:`),
    )
    if (!isDeepStrictEqual(stack, definedAt))
      return { scenario, command, ok: false, detail: `defined at ${stack.join(', ')}` }
  }
  return { scenario, command, ok: true }
}

interface RangeLike {
  environment?: string
  begin: { line: number; column: number }
}
interface ExprLike {
  range: RangeLike
  base?: ExprLike
  list?: ExprLike[]
  object?: Record<string, ExprLike>
  builtin?: { name: string; arg: ExprLike }
}

function parsePath(path: string): (string | number)[] {
  const out: (string | number)[] = []
  const re = /(?:^|\.)([^.[\]"]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/gy
  for (let m = re.exec(path); m; m = re.exec(path))
    out.push(m[2] !== undefined ? Number(m[2]) : (m[1] ?? m[3] ?? ''))
  return out
}

function exprAt(root: ExprLike, path: (string | number)[]): ExprLike | undefined {
  if (path.length === 0) return root
  const [head, ...rest] = path
  if (root.builtin) return head === root.builtin.name ? exprAt(root.builtin.arg, rest) : undefined
  if (root.list)
    return typeof head === 'number' && root.list[head] ? exprAt(root.list[head], rest) : undefined
  if (root.object)
    return typeof head === 'string' && root.object[head] ? exprAt(root.object[head], rest) : undefined
  return undefined
}

function definedStack(
  exprs: Record<string, ExprLike> | undefined,
  properties: Record<string, EscValue>,
  path: string,
) {
  const at = (r: RangeLike) => `${r.environment}:${r.begin.line}:${r.begin.column}`
  const stack: string[] = []
  const expr = exprs
    ? exprAt({ range: { begin: { line: 0, column: 0 } }, object: exprs }, parsePath(path))
    : undefined
  if (expr) {
    for (let x: ExprLike | undefined = expr; x; x = x.base) stack.push(at(x.range))
    return stack
  }
  type Traced = EscValue & { trace?: { def?: RangeLike; base?: Traced } }
  for (let v: Traced | undefined = propertyAt(properties, path) as Traced; v; v = v.trace?.base) {
    if (v.trace?.def) stack.push(at(v.trace.def))
  }
  return stack
}

test('replays the HTTP side of ESC CLI `env get` transcripts', async () => {
  const outcomes: Outcome[] = []
  for (const file of readdirSync(ROOT)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const text = readFileSync(join(ROOT, file), 'utf8')
    const [spec, stdout] = text.split(/^---\n/m)
    const doc = parseDocument(spec as string)
    const run = String(doc.get('run'))
    await seed(doc, file.replace(/\.yaml$/, ''), run.includes('--show-secrets'))
    const sections = transcript(stdout as string)
    const seen = new Map<string, number>()
    for (const command of run.split('\n').filter((l) => l.startsWith('esc env get '))) {
      const n = seen.get(command) ?? 0
      seen.set(command, n + 1)
      // Paths into `imports` or into a `fn::` call name parts of the definition, which the CLI answers itself.
      if (/\simports(\[|\s|$)/.test(command) || command.includes('fn::')) continue
      const expected = sections.get(command.replaceAll("'", ''))?.[n] ?? sections.get(command)?.[n] ?? ''
      outcomes.push(await replay(command, expected, file))
    }
    // Each scenario has its own environments: remove them so the next one starts clean.
    for (const table of ['esc_revisions', 'esc_revision_tags', 'esc_environments'])
      await queryDatabase(server.dbPath, `delete from ${table}`)
  }
  const passed = outcomes.filter((o) => o.ok).length
  console.log(
    `${outcomes.map((o) => `${o.ok ? 'ok  ' : 'FAIL'} ${o.scenario}: ${o.command}${o.detail ? ` -> ${o.detail}` : ''}`).join('\n')}\n` +
      `cli scenario commands replayed: ${passed}/${outcomes.length}`,
  )
  // Floor recorded from the current implementation; raise it as conformance improves.
  assert.ok(passed >= 19, 'cli scenario replay regressed')
})
