// Drives one update the way the CLI does (protocol §10 `pulumi up`): create → start → uploads → events → complete.
// Shared by conformance tests and the benchmark load generator.
import type { CliClient } from './cli-client.js'

export interface StackId {
  org: string
  project: string
  stack: string
}

export const stackPath = (s: StackId) => `/api/stacks/${s.org}/${s.project}/${s.stack}`

export interface RunningUpdate {
  id: string
  version: number
  token: string
  journalVersion: number
  path: string
}

export async function createAndStart(
  cli: CliClient,
  stack: StackId,
  options: {
    kind?: 'update' | 'preview' | 'refresh' | 'destroy'
    dryRun?: boolean
    journal?: boolean
    /** More update metadata `environment` entries (e.g. `stack.environments`). */
    environment?: Record<string, string>
  } = {},
): Promise<RunningUpdate> {
  const kind = options.kind ?? 'update'
  const created = await cli.call<{ updateID: string }>('POST', `${stackPath(stack)}/${kind}`, {
    body: {
      name: stack.project,
      runtime: 'nodejs',
      main: '',
      description: '',
      options: { color: 'raw', dryRun: options.dryRun ?? false, parallel: 16, showNames: false },
      config: { [`${stack.project}:greeting`]: { string: 'hello', secret: false, object: false } },
      metadata: { message: 'test update', environment: { 'exec.kind': 'cli', ...options.environment } },
    },
  })
  const id = created.body.updateID
  // client.go :: StartUpdate: journalVersion 1 unless PULUMI_DISABLE_JOURNALING.
  const started = await cli.call<{ version: number; token: string; journalVersion?: number }>(
    'POST',
    `${stackPath(stack)}/update/${id}`,
    {
      body: {
        tags: { 'pulumi:project': stack.project },
        ...(options.journal === false ? {} : { journalVersion: 1 }),
      },
    },
  )
  return {
    id,
    version: started.body.version,
    token: started.body.token,
    journalVersion: started.body.journalVersion ?? 0,
    path: `${stackPath(stack)}/update/${id}`,
  }
}

/** The same update as a request carrying another of its lease tokens (an older or a renewed one). */
export const withToken = (update: RunningUpdate, token: string): RunningUpdate => ({ ...update, token })

/** POST …/renew_lease as token_source.go does: the token it holds in the header, `{"token":"","duration":300}`. */
export async function renewLease(cli: CliClient, update: RunningUpdate): Promise<string> {
  const response = await cli.call<{ token: string }>('POST', `${update.path}/renew_lease`, {
    auth: leaseAuth(update),
    body: { token: '', duration: 300 },
  })
  return response.body.token
}

export function leaseAuth(update: RunningUpdate) {
  return { kind: 'update-token' as const, token: update.token }
}

export async function sendJournal(cli: CliClient, update: RunningUpdate, entries: unknown[]) {
  return cli.call('PATCH', `${update.path}/journalentries`, {
    auth: leaseAuth(update),
    gzip: true,
    body: { entries },
  })
}

export async function sendEvents(cli: CliClient, update: RunningUpdate, events: unknown[]) {
  return cli.call('POST', `${update.path}/events/batch`, {
    auth: leaseAuth(update),
    gzip: true,
    body: { events },
  })
}

export async function complete(
  cli: CliClient,
  update: RunningUpdate,
  status: 'succeeded' | 'failed' = 'succeeded',
) {
  return cli.call('POST', `${update.path}/complete`, { auth: leaseAuth(update), body: { status } })
}

/** Journal entries of a first `up` creating `count` resources under the root stack (protocol §7.3/§7.4 shapes). */
export function createEntries(stack: StackId, count: number, pad = 0, secretsUrl = 'http://127.0.0.1') {
  const root = `urn:pulumi:${stack.stack}::${stack.project}::pulumi:pulumi:Stack::${stack.project}-${stack.stack}`
  const entries: Record<string, unknown>[] = []
  let seq = 0
  let op = 0
  const entry = (fields: Record<string, unknown>) =>
    entries.push({ version: 1, sequenceID: ++seq, removeOld: null, removeNew: null, ...fields })
  entry({
    kind: 6,
    operationID: 0,
    secretsProvider: {
      type: 'service',
      state: { url: secretsUrl, owner: stack.org, project: stack.project, stack: stack.stack },
    },
  })
  const rootState = { urn: root, custom: false, type: 'pulumi:pulumi:Stack' }
  const rootOp = ++op
  entry({ kind: 0, operationID: rootOp, operation: { resource: rootState, type: 'creating' } })
  entry({ kind: 1, operationID: rootOp, state: rootState })
  for (let i = 0; i < count; i++) {
    const urn = `urn:pulumi:${stack.stack}::${stack.project}::random:index/randomString:RandomString::r${i}`
    const state = {
      urn,
      custom: true,
      id: `id-${i}`,
      type: 'random:index/randomString:RandomString',
      inputs: { length: 16 },
      outputs: { result: `value-${i}`, padding: 'x'.repeat(pad) },
      parent: root,
    }
    const id = ++op
    entry({
      kind: 0,
      operationID: id,
      operation: { resource: { ...state, outputs: undefined }, type: 'creating' },
    })
    entry({ kind: 1, operationID: id, state })
  }
  entry({ kind: 4, operationID: ++op, removeNew: rootOp, state: { ...rootState, outputs: { count } } })
  return entries
}

/** `pulumi stack history` reduced to [version, result] pairs, newest first. */
export async function historyResults(cli: CliClient, stack: StackId): Promise<[number, string][]> {
  const history = await cli.call<{ updates: { version: number; result: string }[] }>(
    'GET',
    `${stackPath(stack)}/updates?pageSize=10&page=1`,
  )
  return history.body.updates.map((u) => [u.version, u.result])
}
