// Request builders and assertions shared by the update-lifecycle conformance suites (test/conformance/update-*.ts,
// crash-recovery.test.ts). Bodies are built as exact bytes where the CLI's bytes matter (protocol §6.3/§6.4).
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { CliApiError, type CliClient } from './cli-client.js'
import { leaseAuth, type RunningUpdate, type StackId, stackPath } from './update-driver.js'

const FIXTURES = new URL('../fixtures/', import.meta.url)

/** A real `pulumi stack export` from test/fixtures/states (parsed). */
export function fixtureState(name: string): { version: number; deployment: Record<string, unknown> } {
  return JSON.parse(readFileSync(new URL(`states/${name}`, FIXTURES), 'utf8'))
}

/** pkg/backend/httpstate/testdata/snapshot_test.json: req1 (verbatim text), req2..4 (edits JSON) + hashes. */
export function deltaFixture(): Record<string, string> {
  return JSON.parse(readFileSync(new URL('checkpoints/delta-snapshot-test.json', FIXTURES), 'utf8'))
}

export const sha256Hex = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex')

/**
 * The test's own byte-offset splicer (gotextdiff.ApplyEdits as snapshot_test.go uses it), kept independent of the
 * server's implementation so a fixture replay cannot agree with a shared bug.
 */
export function applyEdits(base: Buffer, editsJson: string): Buffer {
  const edits = JSON.parse(editsJson) as {
    Span: { start: { offset: number }; end: { offset: number } }
    NewText: string
  }[]
  const parts: Buffer[] = []
  let last = 0
  for (const edit of edits) {
    parts.push(base.subarray(last, edit.Span.start.offset), Buffer.from(edit.NewText, 'utf8'))
    last = edit.Span.end.offset
  }
  parts.push(base.subarray(last))
  return Buffer.concat(parts)
}

/** client.go :: marshalVerbatimCheckpointRequest: the canonical text is inlined verbatim. */
export function verbatimBody(text: Buffer | string, sequenceNumber: number, version = 3): Buffer {
  return Buffer.concat([
    Buffer.from(`{"version":${version},"untypedDeployment":`),
    Buffer.from(text),
    Buffer.from(`,"sequenceNumber":${sequenceNumber}}`),
  ])
}

/**
 * The recorded verbatim + delta chain (deltaFixture): `text(n)` is the checkpoint text after request n (1–4),
 * `delta(n)` the body of request n (2–4) as the CLI sent it, optionally with another sequence number or hash.
 */
export function recordedDeltaChain() {
  const fixture = deltaFixture()
  const texts: Buffer[] = [Buffer.from(fixture.req1 ?? '')]
  for (const n of [2, 3, 4])
    texts.push(applyEdits(texts[texts.length - 1] as Buffer, fixture[`req${n}`] ?? ''))
  return {
    text: (n: 1 | 2 | 3 | 4) => texts[n - 1] as Buffer,
    delta: (n: 2 | 3 | 4, sequenceNumber: number = n, checkpointHash = fixture[`req${n}.hash`] ?? '') =>
      deltaBody(fixture[`req${n}`] ?? '', checkpointHash, sequenceNumber, n === 4 ? 4 : 3),
  }
}

/** apitype.PatchUpdateCheckpointDeltaRequest with the edits JSON inlined as the CLI marshalled it. */
export function deltaBody(
  editsJson: string,
  checkpointHash: string,
  sequenceNumber: number,
  version = 3,
): Buffer {
  return Buffer.from(
    `{"version":${version},"checkpointHash":"${checkpointHash}","sequenceNumber":${sequenceNumber},"deploymentDelta":${editsJson}}`,
  )
}

/** PATCH …/update/{id}/{checkpoint|checkpointverbatim|checkpointdelta|journalentries}, gzip, update-token. */
export function patchUpdate(cli: CliClient, update: RunningUpdate, route: string, body: Buffer) {
  return cli.call('PATCH', `${update.path}/${route}`, { auth: leaseAuth(update), gzip: true, rawBody: body })
}

/** `GET {stack}/export[/{version}]`: the decoded bytes and their parse. */
export async function exportOf(cli: CliClient, stack: StackId, version?: number) {
  const suffix = version === undefined ? '' : `/${version}`
  const response = await cli.call('GET', `${stackPath(stack)}/export${suffix}`, { command: 'stack-export' })
  return {
    raw: response.raw,
    json: JSON.parse(response.raw.toString('utf8')) as {
      version: number
      features?: string[]
      deployment: {
        resources?: Record<string, unknown>[]
        pending_operations?: { type: string; resource: { urn: string } }[]
        [key: string]: unknown
      }
    },
  }
}

export async function resourceUrns(cli: CliClient, stack: StackId, version?: number): Promise<string[]> {
  const { json } = await exportOf(cli, stack, version)
  return (json.deployment.resources ?? []).map((r) => r.urn as string)
}

/** Any 4xx in the CLI's error shape (code = status, a message), optionally a specific status. */
export async function assertClientError(promise: Promise<unknown>, status?: number): Promise<CliApiError> {
  let caught: unknown
  await assert.rejects(promise, (error: unknown) => {
    caught = error
    return true
  })
  assert.ok(caught instanceof CliApiError, `expected an API error, got ${String(caught)}`)
  const error = caught
  if (status !== undefined) assert.equal(error.status, status, `status (message: ${error.apiMessage})`)
  else
    assert.ok(
      error.status >= 400 && error.status < 500,
      `expected a 4xx, got ${error.status}: ${error.apiMessage}`,
    )
  assert.equal(error.code, error.status, 'error body code must equal the HTTP status')
  assert.ok(error.apiMessage.length > 0, 'error message must not be empty')
  return error
}

/** Polls `check` with short sleeps until it returns a value, failing after `timeoutMs` (never asserts timing). */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await sleep(100)
  }
}

export async function createStack(cli: CliClient, stack: StackId): Promise<void> {
  await cli.call('POST', `/api/stacks/${stack.org}/${stack.project}`, { body: { stackName: stack.stack } })
}

/** Creates `acme/web/<prefix><n>` with n = 1, 2, … through the client `cli()` returns at call time. */
export function stackFactory(cli: () => CliClient, prefix: string): () => Promise<StackId> {
  let counter = 0
  return async () => {
    const stack = { org: 'acme', project: 'web', stack: `${prefix}${++counter}` }
    await createStack(cli(), stack)
    return stack
  }
}

/** The last URN segment (the resource name) of each URN. */
export const urnNames = (urns: string[]) => urns.map((u) => u.split('::').at(-1))

/** A root-stack child resource, as createEntries shapes them. */
export function resourceState(stack: StackId, name: string, extra: Record<string, unknown> = {}) {
  return {
    urn: `urn:pulumi:${stack.stack}::${stack.project}::random:index/randomString:RandomString::${name}`,
    custom: true,
    id: `id-${name}`,
    type: 'random:index/randomString:RandomString',
    inputs: { length: 16 },
    outputs: { result: `value-${name}` },
    parent: rootUrn(stack),
    ...extra,
  }
}

export const rootUrn = (stack: StackId) =>
  `urn:pulumi:${stack.stack}::${stack.project}::pulumi:pulumi:Stack::${stack.project}-${stack.stack}`

/**
 * Builds journal entries with increasing sequence ids (JournalSnapshotManager.newJournalEntry) and fresh operation
 * ids, in the shapes pkg/engine/journal_snapshot.go emits (protocol §7.4).
 */
export class JournalWriter {
  seq = 0
  op = 0
  readonly entries: Record<string, unknown>[] = []

  constructor(start: { seq?: number; op?: number } = {}) {
    this.seq = start.seq ?? 0
    this.op = start.op ?? 0
  }

  entry(fields: Record<string, unknown>): Record<string, unknown> {
    const e = { version: 1, sequenceID: ++this.seq, removeOld: null, removeNew: null, ...fields }
    this.entries.push(e)
    return e
  }

  secretsManager(stack: StackId) {
    return this.entry({
      kind: 6,
      operationID: 0,
      secretsProvider: {
        type: 'service',
        state: { url: 'http://127.0.0.1', owner: stack.org, project: stack.project, stack: stack.stack },
      },
    })
  }

  /** Begin (kind 0) with an operation, or without one for same/refresh steps; returns the operation id. */
  begin(operation?: { type: string; resource: Record<string, unknown> }): number {
    const id = ++this.op
    this.entry({ kind: 0, operationID: id, ...(operation ? { operation } : {}) })
    return id
  }

  success(op: number, fields: Record<string, unknown> = {}) {
    return this.entry({ kind: 1, operationID: op, ...fields })
  }

  /** A create step: Begin creating + Success with the new state; returns the operation id. */
  create(state: Record<string, unknown>): number {
    const op = this.begin({ type: 'creating', resource: state })
    this.success(op, { state })
    return op
  }

  /** Takes the entries written since the last take (one batch). */
  take(): Record<string, unknown>[] {
    return this.entries.splice(0, this.entries.length)
  }
}
