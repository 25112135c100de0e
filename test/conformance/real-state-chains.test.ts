// Deploys real stack exports resource by resource, then moves each stack along its real version chain
// (1.0.4 → 2.2.1 → 2.5.2 → 3.0.0: same stacks over time, test/fixtures/README.md), in each of the CLI's three
// upload modes, and checks that the server's export holds exactly what the CLI believes it wrote.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isDeepStrictEqual } from 'node:util'
import type { CliClient } from '../support/cli-client.js'
import { useTestServer } from '../support/test-server.js'
import { complete, createAndStart, type RunningUpdate, type StackId } from '../support/update-driver.js'
import {
  createStack,
  deltaBody,
  exportOf,
  fixtureState,
  JournalWriter,
  patchUpdate,
  sha256Hex,
  verbatimBody,
} from '../support/update-uploads.js'

type Resource = Record<string, unknown> & { urn: string }
interface Target {
  resources: Resource[]
  secretsProviders: unknown
}

const CHAINS = ['eks-encryption-provider', 'eks-managed-nodegroups', 'eks-nodegroup', 'eks-cluster']
const VERSIONS = ['1.0.4', '2.2.1', '2.5.2', '3.0.0']

function target(chain: string, version: string): Target {
  const { deployment } = fixtureState(`${chain}-${version}.json`)
  return { resources: deployment.resources as Resource[], secretsProviders: deployment.secrets_providers }
}

/**
 * The steps `pulumi up` would take from `base` to `next` (pkg/engine/journal_snapshot.go shapes, protocol §7.4):
 * same/update for URNs in the base (removeOld = base index), create for new ones, then deletes in reverse order.
 */
function journalFor(base: Resource[], next: Target): Record<string, unknown>[] {
  const journal = new JournalWriter()
  journal.entries.push({
    version: 1,
    kind: 6,
    sequenceID: ++journal.seq,
    operationID: 0,
    removeOld: null,
    removeNew: null,
    secretsProvider: next.secretsProviders,
  })
  const baseIndex = new Map(base.map((r, i) => [r.urn, i]))
  for (const resource of next.resources) {
    const old = baseIndex.get(resource.urn)
    if (old === undefined) {
      const op = journal.begin({ type: 'creating', resource })
      journal.success(op, { state: resource })
    } else if (isDeepStrictEqual(base[old], resource)) {
      const op = journal.begin()
      journal.success(op, { removeOld: old, state: resource })
    } else {
      const op = journal.begin({ type: 'updating', resource })
      journal.success(op, { removeOld: old, state: resource })
    }
  }
  const kept = new Set(next.resources.map((r) => r.urn))
  for (let i = base.length - 1; i >= 0; i--) {
    const old = base[i] as Resource
    if (kept.has(old.urn)) continue
    const op = journal.begin({ type: 'deleting', resource: old })
    journal.success(op, { removeOld: i })
  }
  return journal.take()
}

/** The canonical checkpoint text layout of diffs.go :: marshalSpannedDeployment (protocol §6.2). */
function canonicalText(resources: Resource[], secretsProviders: unknown): Buffer {
  const manifest = { time: '2026-11-22T00:00:00Z', magic: '', version: 'v3.200.0' }
  const head = `{"version":3,"deployment":{"manifest":${JSON.stringify(manifest)},"secrets_providers":${JSON.stringify(secretsProviders)},"metadata":{}`
  const body =
    resources.length > 0 ? `,"resources":[${resources.map((r) => JSON.stringify(r)).join(',')}]` : ''
  return Buffer.from(`${head}${body}}}`)
}

/** One edit replacing the bytes between the common prefix and suffix (a valid, minimal-enough delta). */
function deltaEdits(before: Buffer, after: Buffer): string {
  let prefix = 0
  while (prefix < before.length && prefix < after.length && before[prefix] === after[prefix]) prefix++
  let suffix = 0
  while (
    suffix < before.length - prefix &&
    suffix < after.length - prefix &&
    before[before.length - 1 - suffix] === after[after.length - 1 - suffix]
  ) {
    suffix++
  }
  const newText = after.toString('utf8', prefix, after.length - suffix)
  const span = (offset: number) => ({ line: 1, column: 1, offset })
  return JSON.stringify([
    { Span: { uri: '', start: span(prefix), end: span(before.length - suffix) }, NewText: newText },
  ])
}

/** Intermediate states as the update proceeds: the first `done` target resources, then what is left of the base. */
function intermediate(base: Resource[], next: Target, done: number): Resource[] {
  const processed = next.resources.slice(0, done)
  const seen = new Set(processed.map((r) => r.urn))
  return [...processed, ...base.filter((r) => !seen.has(r.urn))]
}

async function uploadJournal(cli: CliClient, update: RunningUpdate, base: Resource[], next: Target) {
  const entries = journalFor(base, next)
  for (let i = 0; i < entries.length; i += 12) {
    await patchUpdate(
      cli,
      update,
      'journalentries',
      Buffer.from(JSON.stringify({ entries: entries.slice(i, i + 12) })),
    )
  }
}

async function uploadDeltas(cli: CliClient, update: RunningUpdate, base: Resource[], next: Target) {
  let sequence = 1
  let text = canonicalText(base, next.secretsProviders)
  await patchUpdate(cli, update, 'checkpointverbatim', verbatimBody(text, sequence))
  for (let done = 5; ; done += 5) {
    const last = done >= next.resources.length
    const resources = last ? next.resources : intermediate(base, next, done)
    const nextText = canonicalText(resources, next.secretsProviders)
    const body = deltaBody(deltaEdits(text, nextText), sha256Hex(nextText), ++sequence)
    await patchUpdate(cli, update, 'checkpointdelta', body)
    text = nextText
    if (last) break
  }
}

async function uploadFull(cli: CliClient, update: RunningUpdate, base: Resource[], next: Target) {
  for (let done = 20; ; done += 20) {
    const last = done >= next.resources.length
    const resources = last ? next.resources : intermediate(base, next, done)
    const deployment = {
      manifest: { time: '2026-11-22T00:00:00Z', magic: '', version: 'v3.200.0' },
      secrets_providers: next.secretsProviders,
      resources,
    }
    const body = Buffer.from(JSON.stringify({ isInvalid: false, version: 3, deployment }))
    await patchUpdate(cli, update, 'checkpoint', body)
    if (last) break
  }
}

const MODES = {
  journal: { journal: true, upload: uploadJournal },
  delta: { journal: false, upload: uploadDeltas },
  full: { journal: false, upload: uploadFull },
} as const

for (const [mode, { journal, upload }] of Object.entries(MODES)) {
  describe(`real state chains, ${mode} uploads`, () => {
    let cli: CliClient
    useTestServer({}, (started) => {
      cli = started.client
    })

    for (const chain of CHAINS) {
      it(`${chain}: ${VERSIONS.join(' → ')}`, async () => {
        const stack: StackId = { org: 'acme', project: chain, stack: mode }
        await createStack(cli, stack)
        let base: Resource[] = []
        for (const [i, version] of VERSIONS.entries()) {
          const next = target(chain, version)
          const update = await createAndStart(cli, stack, { journal })
          assert.equal(update.journalVersion, journal ? 1 : 0)
          await upload(cli, update, base, next)
          await complete(cli, update)
          const { json } = await exportOf(cli, stack)
          assert.equal(json.deployment.resources?.length, next.resources.length, `${version}: resource count`)
          assert.deepEqual(json.deployment.resources, next.resources, `${version}: resources in order`)
          assert.deepEqual(json.deployment.secrets_providers, next.secretsProviders)
          // Each version stays exportable as it was (`pulumi stack export --version N`).
          assert.deepEqual((await exportOf(cli, stack, i + 1)).json.deployment.resources, next.resources)
          base = next.resources
        }
      })
    }
  })
}
