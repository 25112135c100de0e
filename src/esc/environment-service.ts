import { randomUUID } from 'node:crypto'
import { AlreadyExistsError, ConflictError, InvalidError, NotFoundError } from '../errors.js'
import type { Clock } from '../lib/clock.js'
import { LruCache } from '../lib/lru.js'
import { decryptDefinitionSecrets, encryptDefinitionSecrets } from './definition-secrets.js'
import type {
  EnvironmentRef,
  EnvironmentRow,
  EnvironmentStore,
  EnvironmentTagRow,
  RevisionRow,
  RevisionTagRow,
} from './environment-store.js'
import {
  type Diagnostic,
  hasErrors,
  SEVERITY_WARNING,
  toWireDiagnostic,
  type WireDiagnostic,
} from './eval/diagnostics.js'
import {
  ANONYMOUS_ENVIRONMENT,
  type EnvironmentLoader,
  type EvalLimits,
  type EvaluatedEnvironment,
  type ExecContext,
  evaluateSource,
  loadDefinition,
} from './eval/evaluator.js'
import { schemaToJSON } from './eval/expr-export.js'
import type { EscValue } from './eval/value.js'
import type { OrgKeys } from './org-keys.js'
import { ServerProviders, type StackOutputsSource } from './providers.js'
import { rotationTargets, runRotations, selected } from './rotation.js'
import { type StackImportsSource, stackReferrers } from './stack-referrers.js'

/** Bounds of the environments API (documented in README "Environments (ESC)"). */
export const ESC_LIMITS = {
  /** Largest definition accepted, in bytes. */
  maxDefinitionBytes: 1 << 20,
  /** Longest open session. */
  maxOpenDurationMs: 7 * 24 * 3600_000,
  defaultOpenDurationMs: 2 * 3600_000,
  listPageSize: 500,
  revisionPageSize: 500,
}

/** The default project of two-part `org/env` names and of imports without a project (ESC's "default"). */
export const DEFAULT_PROJECT = 'default'

// pulumi/esc: environment and project names are letters, digits, '-', '_' and '.'.
const NAME = /^[A-Za-z0-9_.-]{1,100}$/
const TAG_NAME = /^[A-Za-z0-9_.:-]{1,255}$/

/** A definition with blocking diagnostics: answered as 400 with the diagnostics (EnvironmentErrorResponse). */
export class DiagnosticsError extends InvalidError {
  constructor(
    message: string,
    readonly diagnostics: WireDiagnostic[],
  ) {
    super(message)
  }
}

/** The caller's rights beyond the route's own check: imported environments and stacks read by pulumi-stacks. */
export interface CallerAccess {
  environment(ref: EnvironmentRef, level: 'read' | 'open'): boolean
  stack(ref: { org: string; project: string; stack: string }): boolean
}

/** Without an access check (tests, tools): everything the route let through. */
export const FULL_ACCESS: CallerAccess = { environment: () => true, stack: () => true }

export interface Caller {
  login: string
  access?: CallerAccess
}

export interface Definition {
  yaml: string
  etag: string
  revision: number
}

export interface OpenedSession {
  properties: Record<string, EscValue>
  schema: unknown
  environmentId: string | null
}

const wire = (diags: Diagnostic[]): WireDiagnostic[] =>
  diags.map((d) => ({
    ...toWireDiagnostic(d),
    ...(d.severity === SEVERITY_WARNING ? { severity: 'warning' } : {}),
  }))

export class EnvironmentService {
  /** Parsed imported definitions by environment id, revision and import name: revisions never change. */
  readonly #definitions = new LruCache<string, ReturnType<typeof loadDefinition>>(1_000)

  constructor(
    private readonly deps: {
      store: EnvironmentStore
      keys: OrgKeys
      clock: Clock
      stacks: StackOutputsSource
      /** Stacks' latest imports, for referrers (absent: no stack referrers). */
      stackImports?: StackImportsSource
      limits?: EvalLimits
    },
  ) {}

  // --- environments -------------------------------------------------------------------------------------------

  /** A page of environments; those the caller may not read are left out (the page may then be shorter). */
  async list(org: string | undefined, continuationToken: string | undefined, caller?: Caller) {
    const after = continuationToken ? decodeToken(continuationToken) : undefined
    const limit = ESC_LIMITS.listPageSize
    const rows = await this.deps.store.list({ org, after, limit: limit + 1 })
    const last = rows.slice(0, limit).at(-1)
    const access = caller?.access ?? FULL_ACCESS
    const page = rows.slice(0, limit).filter((e) => access.environment(e, 'read'))
    const tags = await this.deps.store.listTagsOf(page.map((e) => e.id))
    return {
      environments: page.map((e) => ({
        id: e.id,
        organization: e.org,
        project: e.project,
        name: e.name,
        created: iso(e.createdAt),
        modified: iso(e.modifiedAt),
        ownedBy: { name: e.createdBy, githubLogin: e.createdBy, avatarUrl: '' },
        tags: tags.get(e.id) ?? {},
        settings: { deletionProtected: e.deletionProtected },
        // Pulumi Cloud no longer fills these counts either (always zero).
        referrerMetadata: {
          environmentReferrerCount: 0,
          insightsAccountReferrerCount: 0,
          stackReferrerCount: 0,
        },
      })),
      ...(rows.length > limit && last ? { nextToken: encodeToken(last) } : {}),
    }
  }

  async create(ref: EnvironmentRef, caller: Caller): Promise<void> {
    validateRef(ref)
    const now = this.deps.clock.now()
    const created = await this.deps.store.create(
      {
        ...ref,
        id: randomUUID(),
        latestRevision: 1,
        deletionProtected: false,
        createdBy: caller.login,
        createdAt: now,
        modifiedAt: now,
      },
      { revision: 1, yaml: '', creatorLogin: caller.login, createdAt: now },
    )
    if (!created) throw new AlreadyExistsError(`Conflict: environment ${refText(ref)} already exists`)
  }

  async delete(ref: EnvironmentRef, caller: Caller): Promise<void> {
    const env = await this.get(ref)
    if (env.deletionProtected) {
      throw new ConflictError(
        `Conflict: environment ${refText(ref)} is protected from deletion; turn off its deletionProtected setting first`,
      )
    }
    await this.deps.store.delete(env.id, caller.login)
  }

  async get(ref: EnvironmentRef): Promise<EnvironmentRow> {
    const env = await this.deps.store.get(ref)
    if (!env) throw new NotFoundError(`Not Found: environment ${refText(ref)} not found`)
    return env
  }

  async definition(ref: EnvironmentRef, version: string | undefined, decrypt: boolean): Promise<Definition> {
    const env = await this.get(ref)
    const rev = await this.revisionFor(env, version)
    let yaml = rev.yaml
    if (decrypt) {
      try {
        yaml = await decryptDefinitionSecrets(rev.yaml, (c) => this.deps.keys.openSecret(env.org, env.id, c))
      } catch {
        throw new InvalidError(
          `Bad Request: a secret of environment ${refText(ref)} cannot be decrypted: it was not encrypted for this organization by this server`,
        )
      }
    }
    return { yaml, etag: etagOf(env, rev.revision), revision: rev.revision }
  }

  /** A new revision from YAML; refused with diagnostics if it does not check, or with 409 on a stale ETag. */
  async update(ref: EnvironmentRef, yaml: string, ifMatch: string | undefined, caller: Caller) {
    const env = await this.get(ref)
    if (ifMatch && ifMatch !== etagOf(env, env.latestRevision)) {
      throw new ConflictError(
        `Conflict: environment ${refText(ref)} was changed since it was read (revision ${env.latestRevision} is the latest); read it again and retry`,
      )
    }
    this.checkSize(yaml)
    // Secrets are decrypted while checking, so a ciphertext this organization cannot read is refused now.
    // Its own ciphertexts must decrypt; what it imports is only checked (read is enough to import).
    const checked = await this.evaluate(env.org, env, yaml, caller, true, true, undefined, 'read')
    if (hasErrors(checked.diags)) {
      throw new DiagnosticsError('Bad Request: the environment definition has errors', wire(checked.diags))
    }
    const stored = await encryptDefinitionSecrets(yaml, (p) => this.deps.keys.sealSecret(env.org, env.id, p))
    const revision = env.latestRevision + 1
    const ok = await this.deps.store.appendRevision(env.id, env.latestRevision, {
      revision,
      yaml: stored,
      creatorLogin: caller.login,
      createdAt: this.deps.clock.now(),
    })
    if (!ok) throw new ConflictError(`Conflict: environment ${refText(ref)} was changed concurrently; retry`)
    return { revision, diagnostics: wire(checked.diags) }
  }

  async clone(
    ref: EnvironmentRef,
    request: {
      project?: string
      name: string
      version?: number
      preserveHistory?: boolean
      preserveEnvironmentTags?: boolean
      preserveRevisionTags?: boolean
    },
    caller: Caller,
  ): Promise<void> {
    const source = await this.get(ref)
    const target = { org: ref.org, project: request.project || ref.project, name: request.name }
    validateRef(target)
    const { store, clock } = this.deps
    const now = clock.now()
    const revisions = request.preserveHistory
      ? (await store.listRevisions(source.id, undefined, Number.MAX_SAFE_INTEGER)).reverse()
      : [await this.revisionFor(source, request.version ? String(request.version) : undefined)]
    const first = revisions[0] as RevisionRow
    const id = randomUUID()
    // Secrets are bound to their environment: the copy's are sealed again for the new one.
    const { keys } = this.deps
    const reseal = async (yaml: string) =>
      encryptDefinitionSecrets(
        await decryptDefinitionSecrets(yaml, (c) => keys.openSecret(ref.org, source.id, c)),
        (p) => keys.sealSecret(ref.org, id, p),
      )
    const renumber = async (r: RevisionRow, i: number): Promise<RevisionRow> => ({
      ...(request.preserveHistory
        ? r
        : { ...r, revision: i + 1, creatorLogin: caller.login, createdAt: now }),
      yaml: await reseal(r.yaml),
    })
    const created = await store.create(
      {
        ...target,
        id,
        latestRevision: 1,
        deletionProtected: false,
        createdBy: caller.login,
        createdAt: now,
        modifiedAt: now,
      },
      await renumber(first, 0),
    )
    if (!created) throw new AlreadyExistsError(`Conflict: environment ${refText(target)} already exists`)
    for (const [i, r] of revisions.slice(1).entries()) {
      await store.appendRevision(id, (revisions[i] as RevisionRow).revision, await renumber(r, i + 1))
    }
    if (request.preserveRevisionTags && request.preserveHistory) {
      for (const tag of await store.listRevisionTags(source.id)) await store.putRevisionTag(id, tag)
    }
    if (request.preserveEnvironmentTags) {
      for (const tag of await store.listEnvironmentTags(source.id)) await store.putEnvironmentTag(id, tag)
    }
  }

  // --- revisions ----------------------------------------------------------------------------------------------

  async revisions(ref: EnvironmentRef, before: number | undefined, count: number | undefined) {
    const env = await this.get(ref)
    // The ESC client starts with before=0, meaning "from the latest" (env_version_history.go).
    const bound = before === undefined || before === 0 ? undefined : before
    const limit = Math.min(count || ESC_LIMITS.revisionPageSize, 1000)
    const rows = await this.deps.store.listRevisions(env.id, bound, limit)
    const tags = await this.deps.store.listRevisionTags(env.id)
    return rows.map((r) => ({
      number: r.revision,
      created: iso(r.createdAt),
      creatorLogin: r.creatorLogin,
      creatorName: r.creatorLogin,
      tags: [
        ...(r.revision === env.latestRevision ? ['latest'] : []),
        ...tags.filter((t) => t.revision === r.revision).map((t) => t.name),
      ],
      ...(r.retracted
        ? {
            retracted: {
              replacement: r.retracted.replacement,
              at: iso(r.retracted.at),
              byLogin: r.retracted.byLogin,
              byName: r.retracted.byLogin,
              reason: r.retracted.reason,
            },
          }
        : {}),
    }))
  }

  async retract(
    ref: EnvironmentRef,
    version: string,
    replacement: number | undefined,
    reason: string,
    caller: Caller,
  ) {
    const env = await this.get(ref)
    const rev = await this.revisionFor(env, version, false)
    if (rev.retracted) throw new ConflictError(`Conflict: revision ${rev.revision} is already retracted`)
    if (rev.revision === env.latestRevision) {
      throw new InvalidError(
        'Bad Request: the latest revision cannot be retracted; update the environment instead',
      )
    }
    let target = replacement
    if (target === undefined) {
      const older = await this.deps.store.listRevisions(env.id, rev.revision, 1000)
      target = older.find((r) => !r.retracted)?.revision
      if (target === undefined)
        throw new InvalidError('Bad Request: there is no earlier revision to replace it with')
    }
    const replacementRev = await this.deps.store.getRevision(env.id, target)
    if (!replacementRev || replacementRev.retracted || target === rev.revision) {
      throw new InvalidError(`Bad Request: revision ${target} cannot replace revision ${rev.revision}`)
    }
    await this.deps.store.setRetracted(env.id, rev.revision, {
      replacement: target,
      at: this.deps.clock.now(),
      byLogin: caller.login,
      reason,
    })
  }

  /** Revision tags by name after `after`; the ESC client pages until an empty page (env_version_tag_ls.go). */
  async revisionTags(ref: EnvironmentRef, after = '', count?: number) {
    const env = await this.get(ref)
    const tags = [await this.latestTag(env), ...(await this.deps.store.listRevisionTags(env.id))]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .filter((t) => t.name > after)
    const page = tags.slice(0, count || ESC_LIMITS.listPageSize)
    const last = page[page.length - 1]
    return { tags: page.map(revisionTagView), nextToken: page.length < tags.length && last ? last.name : '' }
  }

  /** The server-maintained `latest` tag: last edited by whoever wrote the latest revision. */
  private async latestTag(env: EnvironmentRow): Promise<RevisionTagRow> {
    const rev = await this.deps.store.getRevision(env.id, env.latestRevision)
    return {
      name: 'latest',
      revision: env.latestRevision,
      editorLogin: rev?.creatorLogin ?? '',
      createdAt: env.createdAt,
      modifiedAt: env.modifiedAt,
    }
  }

  async revisionTag(ref: EnvironmentRef, name: string) {
    const env = await this.get(ref)
    if (name === 'latest') return revisionTagView(await this.latestTag(env))
    const tag = await this.deps.store.getRevisionTag(env.id, name)
    if (!tag) throw new NotFoundError(`Not Found: revision tag '${name}' not found`)
    return revisionTagView(tag)
  }

  async putRevisionTag(
    ref: EnvironmentRef,
    name: string,
    revision: number | undefined,
    create: boolean,
    caller: Caller,
  ) {
    const env = await this.get(ref)
    if (name === 'latest')
      throw new InvalidError("Bad Request: 'latest' is maintained by the server and cannot be set")
    if (!TAG_NAME.test(name)) throw new InvalidError(`Bad Request: invalid tag name '${name}'`)
    const existing = await this.deps.store.getRevisionTag(env.id, name)
    if (create && existing) throw new AlreadyExistsError(`Conflict: revision tag '${name}' already exists`)
    if (!create && !existing) throw new NotFoundError(`Not Found: revision tag '${name}' not found`)
    const target = revision ?? env.latestRevision
    if (!(await this.deps.store.getRevision(env.id, target))) {
      throw new NotFoundError(`Not Found: revision ${target} of environment ${refText(ref)} not found`)
    }
    const now = this.deps.clock.now()
    await this.deps.store.putRevisionTag(env.id, {
      name,
      revision: target,
      editorLogin: caller.login,
      createdAt: existing?.createdAt ?? now,
      modifiedAt: now,
    })
  }

  async deleteRevisionTag(ref: EnvironmentRef, name: string): Promise<void> {
    const env = await this.get(ref)
    if (name === 'latest') throw new InvalidError("Bad Request: 'latest' cannot be deleted")
    if (!(await this.deps.store.deleteRevisionTag(env.id, name))) {
      throw new NotFoundError(`Not Found: revision tag '${name}' not found`)
    }
  }

  // --- environment tags and settings -------------------------------------------------------------------------

  /** Environment tags by name after `after`; the last page says nextToken "0" (env_tag_ls.go loops until it). */
  async environmentTags(ref: EnvironmentRef, after = '', count?: number) {
    const env = await this.get(ref)
    const all = (await this.deps.store.listEnvironmentTags(env.id)).filter((t) => t.name > after)
    const page = all.slice(0, count || ESC_LIMITS.listPageSize)
    const tags: Record<string, ReturnType<typeof environmentTagView>> = {}
    for (const t of page) tags[t.name] = environmentTagView(env, t)
    const last = page[page.length - 1]
    return { tags, nextToken: page.length < all.length && last ? last.name : '0' }
  }

  async environmentTag(ref: EnvironmentRef, name: string) {
    const env = await this.get(ref)
    const tag = (await this.deps.store.listEnvironmentTags(env.id)).find((t) => t.name === name)
    if (!tag) throw new NotFoundError(`Not Found: environment tag '${name}' not found`)
    return environmentTagView(env, tag)
  }

  async putEnvironmentTag(
    ref: EnvironmentRef,
    tag: { name: string; value?: string | undefined },
    replacing: string | undefined,
    caller: Caller,
  ) {
    const env = await this.get(ref)
    if (!TAG_NAME.test(tag.name)) throw new InvalidError(`Bad Request: invalid tag name '${tag.name}'`)
    const existing = await this.deps.store.listEnvironmentTags(env.id)
    const current = replacing === undefined ? undefined : existing.find((t) => t.name === replacing)
    if (replacing !== undefined && !current)
      throw new NotFoundError(`Not Found: environment tag '${replacing}' not found`)
    if (tag.name !== replacing && existing.some((t) => t.name === tag.name)) {
      throw new AlreadyExistsError(`Conflict: environment tag '${tag.name}' already exists`)
    }
    const now = this.deps.clock.now()
    if (current && current.name !== tag.name) await this.deps.store.deleteEnvironmentTag(env.id, current.name)
    const row: EnvironmentTagRow = {
      name: tag.name,
      value: tag.value || current?.value || '',
      editorLogin: caller.login,
      createdAt: current?.createdAt ?? now,
      modifiedAt: now,
    }
    await this.deps.store.putEnvironmentTag(env.id, row)
    return environmentTagView(env, row)
  }

  async deleteEnvironmentTag(ref: EnvironmentRef, name: string): Promise<void> {
    const env = await this.get(ref)
    if (!(await this.deps.store.deleteEnvironmentTag(env.id, name))) {
      throw new NotFoundError(`Not Found: environment tag '${name}' not found`)
    }
  }

  async setDeletionProtected(ref: EnvironmentRef, value: boolean): Promise<void> {
    const env = await this.get(ref)
    await this.deps.store.setDeletionProtected(env.id, value)
  }

  /** Environments whose latest definition, and stacks whose latest update, import this one (Cloud's shape). */
  async referrers(ref: EnvironmentRef, caller?: Caller) {
    const access = caller?.access ?? FULL_ACCESS
    const env = await this.get(ref)
    const names = new Set([
      `${env.project}/${env.name}`,
      ...(env.project === DEFAULT_PROJECT ? [env.name] : []),
    ])
    const referrers: (
      | { environment: { project: string; name: string; revision: number } }
      | { stack: { project: string; stack: string; version: number } }
    )[] = []
    let after: EnvironmentRef | undefined
    for (;;) {
      const page = await this.deps.store.list({ org: env.org, after, limit: 200 })
      for (const other of page) {
        if (other.id === env.id || !access.environment(other, 'read')) continue
        const rev = await this.deps.store.getRevision(other.id, other.latestRevision)
        const loaded = rev ? loadDefinition(other.name, rev.yaml) : undefined
        if (loaded?.env?.imports.some((i) => i.environment && names.has(i.environment.value))) {
          referrers.push({
            environment: { project: other.project, name: other.name, revision: other.latestRevision },
          })
        }
      }
      if (page.length < 200) break
      after = page[page.length - 1]
    }
    if (this.deps.stackImports) {
      referrers.push(...(await stackReferrers(this.deps.stackImports, env.org, names, access.stack)))
    }
    return { referrers: { [`${env.org}/${env.project}/${env.name}`]: referrers } }
  }

  // --- rotation ----------------------------------------------------------------------------------------------

  /**
   * `fn::rotate` rotation of the latest revision (rotation.ts); the new state becomes a new revision.
   * Cloud's RotateEnvironmentResponse.
   */
  async rotate(ref: EnvironmentRef, paths: readonly string[], caller: Caller) {
    const env = await this.get(ref)
    const rev = await this.revisionFor(env, undefined)
    const { keys } = this.deps
    // Decrypted, so the stored rotation state reads as plaintext; sealed again before it is stored.
    let plain: string
    try {
      plain = await decryptDefinitionSecrets(rev.yaml, (c) => keys.openSecret(env.org, env.id, c))
    } catch {
      throw new InvalidError(`Bad Request: a secret of environment ${refText(ref)} cannot be decrypted`)
    }
    const loaded = loadDefinition(`${env.project}/${env.name}`, plain)
    if (!loaded.env || hasErrors(loaded.diags)) {
      throw new DiagnosticsError('Bad Request: the environment definition has errors', wire(loaded.diags))
    }
    const all = rotationTargets(loaded.env)
    const unmatched = paths.filter((p) => !all.some((t) => selected(t.path, [p])))
    if (unmatched.length > 0) {
      throw new DiagnosticsError(
        'Bad Request: nothing to rotate at the given paths',
        unmatched.map((p) => ({ summary: `no fn::rotate at path "${p}"` })),
      )
    }
    const outcome = await runRotations(
      plain,
      all.filter((t) => selected(t.path, paths)),
      new ServerProviders(env.org, this.deps.stacks),
    )
    let postRotationRevision: number | undefined
    if (outcome.yaml !== undefined) {
      const stored = await encryptDefinitionSecrets(outcome.yaml, (p) => keys.sealSecret(env.org, env.id, p))
      postRotationRevision = env.latestRevision + 1
      const ok = await this.deps.store.appendRevision(env.id, env.latestRevision, {
        revision: postRotationRevision,
        yaml: stored,
        creatorLogin: caller.login,
        createdAt: this.deps.clock.now(),
      })
      if (!ok)
        throw new ConflictError(`Conflict: environment ${refText(ref)} was changed concurrently; retry`)
    }
    const now = iso(this.deps.clock.now())
    const id = randomUUID()
    const { rotations } = outcome
    return {
      id,
      secretRotationEvent: {
        id,
        environmentId: env.id,
        created: now,
        preRotationRevision: rev.revision,
        ...(postRotationRevision !== undefined ? { postRotationRevision } : {}),
        userID: caller.login,
        completed: now,
        status: rotations.some((r) => r.status === 'failed') ? 'failed' : 'succeeded',
        rotations,
      },
    }
  }

  // --- check and open ----------------------------------------------------------------------------------------

  async checkYaml(org: string, yaml: string, showSecrets: boolean, caller: Caller) {
    this.checkSize(yaml)
    const result = await this.evaluate(org, undefined, yaml, caller, true, showSecrets)
    if (hasErrors(result.diags)) {
      throw new DiagnosticsError('Bad Request: the environment definition has errors', wire(result.diags))
    }
    return { ...environmentView(result.environment), diagnostics: wire(result.diags) }
  }

  async checkEnvironment(
    ref: EnvironmentRef,
    version: string | undefined,
    caller: Caller,
    showSecrets = false,
  ) {
    const env = await this.get(ref)
    const rev = await this.revisionFor(env, version)
    const result = await this.evaluate(env.org, env, rev.yaml, caller, true, showSecrets)
    return { ...environmentView(result.environment), diagnostics: wire(result.diags) }
  }

  async openYaml(
    org: string,
    yaml: string,
    duration: string | undefined,
    caller: Caller,
    overrides?: Record<string, string>,
  ) {
    this.checkSize(yaml)
    const result = await this.evaluate(org, undefined, yaml, caller, false, false, overrides)
    return this.startSession(org, null, result, duration, caller)
  }

  async open(ref: EnvironmentRef, version: string | undefined, duration: string | undefined, caller: Caller) {
    const env = await this.get(ref)
    const rev = await this.revisionFor(env, version)
    const result = await this.evaluate(env.org, env, rev.yaml, caller, false)
    return this.startSession(env.org, env.id, result, duration, caller)
  }

  /**
   * An open session's values (whole, or one property path); a session is bound to its org, its environment and
   * the user who opened it (its id alone is not enough to read decrypted values).
   */
  async readSession(
    org: string,
    ref: EnvironmentRef | undefined,
    id: string,
    property: string | undefined,
    caller: Caller,
  ) {
    const session = await this.deps.store.getOpenSession(id)
    const environmentId = ref ? (await this.get(ref)).id : null
    if (!session || session.org !== org || session.environmentId !== environmentId) {
      throw new NotFoundError(`Not Found: open session '${id}' not found`)
    }
    if (session.expiresAt <= this.deps.clock.now()) {
      throw new NotFoundError(`Not Found: open session '${id}' has expired; open the environment again`)
    }
    const payload = await this.deps.keys.openSession(org, session.sealed)
    if (!payload) throw new Error(`open session ${id} cannot be unsealed`)
    const { openedBy, ...opened } = JSON.parse(payload.toString('utf8')) as {
      properties: Record<string, EscValue>
      schema: unknown
      openedBy?: string
    }
    if (openedBy !== undefined && openedBy !== caller.login) {
      throw new NotFoundError(`Not Found: open session '${id}' not found`)
    }
    if (property === undefined || property === '') return opened
    return propertyAt(opened.properties, property)
  }

  async expireSessions(): Promise<number> {
    return this.deps.store.deleteExpiredOpenSessions(this.deps.clock.now())
  }

  // --- internals ---------------------------------------------------------------------------------------------

  private async startSession(
    org: string,
    environmentId: string | null,
    result: { environment?: EvaluatedEnvironment; diags: Diagnostic[] },
    duration: string | undefined,
    caller: Caller,
  ) {
    if (hasErrors(result.diags)) {
      throw new DiagnosticsError('Bad Request: the environment has errors', wire(result.diags))
    }
    const ms = parseDuration(duration)
    // Expired sessions are swept as new ones start (one indexed delete), so no background job is needed.
    await this.expireSessions()
    const id = randomUUID()
    const payload = JSON.stringify({
      properties: result.environment?.properties ?? {},
      schema: schemaToJSON(result.environment?.schema ?? { never: true }),
      openedBy: caller.login,
    })
    const now = this.deps.clock.now()
    await this.deps.store.putOpenSession(
      {
        id,
        org,
        environmentId,
        sealed: await this.deps.keys.sealSession(org, Buffer.from(payload)),
        expiresAt: now + ms,
      },
      now,
    )
    return { id, diagnostics: wire(result.diags) }
  }

  private checkSize(yaml: string): void {
    if (Buffer.byteLength(yaml) > ESC_LIMITS.maxDefinitionBytes) {
      throw new DiagnosticsError(
        `Bad Request: the definition is larger than ${ESC_LIMITS.maxDefinitionBytes} bytes`,
        [{ summary: `the definition is larger than ${ESC_LIMITS.maxDefinitionBytes} bytes` }],
      )
    }
  }

  /** The revision a version names: a number, a tag, or latest; retracted revisions read as their replacement. */
  private async revisionFor(
    env: EnvironmentRow,
    version: string | undefined,
    followRetraction = true,
  ): Promise<RevisionRow> {
    let number = env.latestRevision
    if (version !== undefined && version !== '' && version !== 'latest') {
      if (/^\d+$/.test(version)) number = Number(version)
      else {
        const tag = await this.deps.store.getRevisionTag(env.id, version)
        if (!tag) throw new NotFoundError(`Not Found: revision tag '${version}' not found`)
        number = tag.revision
      }
    }
    let rev = await this.deps.store.getRevision(env.id, number)
    if (!rev)
      throw new NotFoundError(`Not Found: revision ${number} of environment ${refText(env)} not found`)
    for (let hops = 0; followRetraction && rev.retracted && hops < 100; hops++) {
      const next: RevisionRow | undefined = await this.deps.store.getRevision(
        env.id,
        rev.retracted.replacement,
      )
      if (!next) break
      rev = next
    }
    return rev
  }

  /** Evaluates a definition of `env` (undefined: anonymous YAML) with the caller's rights on what it imports. */
  private async evaluate(
    org: string,
    env: EnvironmentRow | undefined,
    yaml: string,
    caller: Caller,
    validating: boolean,
    showSecrets = false,
    overrides?: Record<string, string>,
    // Imports need open whenever their values come back decrypted (open, or a check showing secrets).
    importLevel: 'read' | 'open' = !validating || showSecrets ? 'open' : 'read',
  ) {
    const name = env ? `${env.project}/${env.name}` : ANONYMOUS_ENVIRONMENT
    const access = caller.access ?? FULL_ACCESS
    const loader: EnvironmentLoader = {
      loadEnvironment: async (imported) => {
        // `project/env@version`: a revision number or tag; overrides (pulumi's environmentOverrides) pin versions.
        const at = imported.lastIndexOf('@')
        const bare = at > 0 ? imported.slice(0, at) : imported
        const version = overrides?.[bare] ?? (at > 0 ? imported.slice(at + 1) : undefined)
        const parts = bare.split('/')
        const ref =
          parts.length === 1
            ? { org, project: DEFAULT_PROJECT, name: bare }
            : parts.length === 2
              ? { org, project: parts[0] as string, name: parts[1] as string }
              : undefined
        // An environment the caller may not read reads as missing; opening needs open on every import.
        const found = ref && access.environment(ref, 'read') && (await this.deps.store.get(ref))
        if (!found) throw new Error(`environment "${imported}" not found`)
        if (importLevel === 'open' && !access.environment(found, 'open')) {
          throw new Error(`permission denied: you may read but not open environment "${imported}"`)
        }
        const rev = await this.revisionFor(found, version)
        return {
          source: rev.yaml,
          decrypter: this.deps.keys.decrypterFor(org, found.id),
          // Ranges name the environment as imported, so the name is part of the key.
          cacheKey: `${found.id}:${rev.revision}:${imported}`,
        }
      },
    }
    const execContext: ExecContext = {
      rootEnvironment: name,
      values: {
        pulumi: {
          value: {
            user: { value: { login: { value: caller.login }, id: { value: caller.login } } },
            organization: { value: { login: { value: org } } },
          },
        },
      },
    }
    return evaluateSource(name, yaml, {
      validating,
      showSecrets,
      decrypter: this.deps.keys.decrypterFor(org, env?.id),
      providers: new ServerProviders(org, this.deps.stacks, (ref) => access.stack(ref)),
      environments: loader,
      execContext,
      limits: this.deps.limits,
      definitions: this.#definitions,
    })
  }
}

function validateRef(ref: EnvironmentRef): void {
  if (!NAME.test(ref.project)) {
    throw new InvalidError(
      `Bad Request: invalid project name '${ref.project}': use 1–100 letters, digits, '-', '_' or '.'`,
    )
  }
  if (!NAME.test(ref.name)) {
    throw new InvalidError(
      `Bad Request: invalid environment name '${ref.name}': use 1–100 letters, digits, '-', '_' or '.'`,
    )
  }
}

const refText = (ref: EnvironmentRef) => `${ref.org}/${ref.project}/${ref.name}`
const iso = (ms: number) => new Date(ms).toISOString()
const etagOf = (env: EnvironmentRow, revision: number) => `"${env.id}:${revision}"`

/** esc.Environment on the wire: expressions, values, and schemas as JSON Schema. */
function environmentView(env: EvaluatedEnvironment | undefined) {
  if (!env) return {}
  return {
    exprs: env.exprs,
    properties: env.properties,
    schema: schemaToJSON(env.schema),
    executionContext: {
      properties: env.executionContext.properties,
      schema: schemaToJSON(env.executionContext.schema),
    },
  }
}

function revisionTagView(t: RevisionTagRow) {
  return {
    name: t.name,
    revision: t.revision,
    created: iso(t.createdAt),
    modified: iso(t.modifiedAt),
    editorLogin: t.editorLogin,
    editorName: t.editorLogin,
  }
}

function environmentTagView(env: EnvironmentRow, t: EnvironmentTagRow) {
  return {
    id: `${env.id}:${t.name}`,
    name: t.name,
    value: t.value,
    created: iso(t.createdAt),
    modified: iso(t.modifiedAt),
    editorLogin: t.editorLogin,
    editorName: t.editorLogin,
  }
}

function encodeToken(ref: EnvironmentRef): string {
  return Buffer.from(JSON.stringify([ref.org, ref.project, ref.name])).toString('base64url')
}

function decodeToken(token: string): EnvironmentRef {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown
    if (Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === 'string')) {
      return { org: String(value[0]), project: String(value[1]), name: String(value[2]) }
    }
  } catch {
    // fall through
  }
  throw new InvalidError('Bad Request: invalid continuationToken')
}

/** Go's time.Duration text (`2h0m0s`, `90m`, `1h30m`), as the ESC client sends it. */
export function parseDuration(text: string | undefined): number {
  if (text === undefined || text === '') return ESC_LIMITS.defaultOpenDurationMs
  const units: Record<string, number> = {
    h: 3600_000,
    m: 60_000,
    s: 1000,
    ms: 1,
    us: 0.001,
    µs: 0.001,
    ns: 1e-6,
  }
  const re = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/y
  let ms = 0
  let matched = 0
  for (let m = re.exec(text); m; m = re.exec(text)) {
    ms += Number(m[1]) * (units[m[2] as string] as number)
    matched = re.lastIndex
  }
  if (matched !== text.length || ms <= 0) {
    throw new InvalidError(`Bad Request: invalid duration '${text}': use a Go duration such as 2h0m0s`)
  }
  if (ms > ESC_LIMITS.maxOpenDurationMs) {
    throw new InvalidError(`Bad Request: duration '${text}' is longer than the maximum of 168h`)
  }
  return Math.round(ms)
}

/** `environmentOverrides` as pulumi sends it: base64url (unpadded) JSON of a string map. */
export function decodeOverrides(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined || text === '') return undefined
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const entries = Object.entries(value as Record<string, unknown>)
      if (entries.every(([, v]) => typeof v === 'string'))
        return Object.fromEntries(entries) as Record<string, string>
    }
  } catch {
    // fall through
  }
  throw new InvalidError('Bad Request: environmentOverrides must be base64url-encoded JSON of strings')
}

/** Follows a property path (`a.b[0]["c.d"]`, resource.PropertyPath syntax) into an environment's values. */
export function propertyAt(properties: Record<string, EscValue>, path: string): EscValue {
  let current: EscValue = { value: properties }
  const re = /(?:^|\.)([^.[\]"]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/y
  let consumed = 0
  for (let m = re.exec(path); m; m = re.exec(path)) {
    consumed = re.lastIndex
    const key = m[1] ?? (m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : undefined)
    const inner = current.value
    let next: EscValue | undefined
    if (key !== undefined && inner && typeof inner === 'object' && !Array.isArray(inner)) next = inner[key]
    else if (m[2] !== undefined && Array.isArray(inner)) next = inner[Number(m[2])]
    if (!next) throw new NotFoundError(`Not Found: property '${path}' not found in the open environment`)
    current = next
  }
  if (consumed !== path.length) throw new InvalidError(`Bad Request: invalid property path '${path}'`)
  return current
}
