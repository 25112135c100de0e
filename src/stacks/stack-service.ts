import { randomUUID } from 'node:crypto'
import type { UntypedDeployment } from '../apitype/core.js'
import type { Store } from '../db/store.js'
import { ConflictError, InvalidError, NotFoundError } from '../errors.js'
import type { Clock } from '../lib/clock.js'
import { TEAM_GRANT } from '../rbac/authorize.js'
import { parseUntypedDeployment, resourceCount, validateDeploymentInput } from '../state/deployment.js'
import { renameDeployment } from '../state/rename-deployment.js'
import type { StateService } from '../state/state-service.js'
import { instantUpdate } from '../updates/update.js'
import {
  formatStackRef,
  type Stack,
  type StackRef,
  validateProjectName,
  validateStackName,
  validateStackRef,
  validateTags,
} from './stack.js'
import type { StackEventSink } from './stack-events.js'

export interface CreateStackInput {
  stackName: string
  tags?: Record<string, string> | undefined
  /** Teams granted write access to the new stack (`pulumi stack init --teams`), already sanitized. */
  teams?: readonly string[] | undefined
  state?: unknown
  config?: unknown
}

/** How many stacks projectExists reads at a time while looking for one the caller may see. */
const PROJECT_SCAN_PAGE = 100

export interface StackPage {
  stacks: Stack[]
  continuationToken: string | undefined
}

export class StackService {
  constructor(
    private readonly deps: {
      store: Store
      clock: Clock
      state: StateService
      listPageSize: number
      events?: StackEventSink
    },
  ) {}

  async get(ref: StackRef): Promise<Stack> {
    validateStackRef(ref)
    const stack = await this.deps.store.stacks.findByRef(ref)
    if (!stack) throw new NotFoundError(`Not Found: stack '${formatStackRef(ref)}' not found`)
    return stack
  }

  async create(org: string, project: string, input: CreateStackInput, by = ''): Promise<Stack> {
    const ref = { org, project, stack: input.stackName }
    validateStackRef(ref)
    const tags = input.tags ?? {}
    validateTags(tags)
    if (input.config !== undefined && input.config !== null) {
      throw new InvalidError('Bad Request: remote (ESC) stack configuration is not supported by this server')
    }
    const initial =
      input.state === undefined || input.state === null ? undefined : validateDeploymentInput(input.state)
    const stack: Stack = {
      id: randomUUID(),
      org,
      project,
      name: input.stackName,
      tags,
      version: 0,
      resourceCount: 0,
      lockedByUpdate: null,
      lastUpdateId: null,
      lastUpdateAt: null,
      createdAt: this.deps.clock.now(),
    }
    const prepared = initial && (await this.#prepare(initial))
    await this.deps.store.transaction(async (tx) => {
      await tx.stacks.insert(stack)
      await tx.stackTeams.grant(stack.id, input.teams ?? [], TEAM_GRANT, by, stack.createdAt)
      if (prepared) await this.deps.state.writeVersion(tx, stack, 0, prepared)
      await this.deps.events?.onStackEvent(tx, { kind: 'stack_created', stack, user: by })
    })
    return stack
  }

  /** One page of stacks; the continuation token is opaque to the CLI and absent on the last page. */
  async list(filter: {
    org?: string | undefined
    project?: string | undefined
    tagName?: string | undefined
    tagValue?: string | undefined
    continuationToken?: string | undefined
  }): Promise<StackPage> {
    const limit = this.deps.listPageSize
    const after = filter.continuationToken ? decodeContinuation(filter.continuationToken) : undefined
    const stacks = await this.deps.store.stacks.list({ ...filter, after, limit: limit + 1 })
    const page = stacks.slice(0, limit)
    const last = page.at(-1)
    const continuationToken =
      stacks.length > limit && last
        ? encodeContinuation({ org: last.org, project: last.project, stack: last.name })
        : undefined
    return { stacks: page, continuationToken }
  }

  /** Whether the project holds a stack that passes `visible` (a page at a time; by default, any stack). */
  async projectExists(
    org: string,
    project: string,
    visible: (page: Stack[]) => Promise<Stack[]> = async (page) => page,
  ): Promise<boolean> {
    let after: StackRef | undefined
    for (;;) {
      const page = await this.deps.store.stacks.list({ org, project, after, limit: PROJECT_SCAN_PAGE })
      if ((await visible(page)).length > 0) return true
      const last = page.at(-1)
      if (page.length < PROJECT_SCAN_PAGE || !last) return false
      after = { org: last.org, project: last.project, stack: last.name }
    }
  }

  async delete(ref: StackRef, force: boolean, by = ''): Promise<void> {
    await this.deps.store.transaction(async (tx) => {
      const stack = await tx.stacks.findByRef(ref)
      if (!stack) throw new NotFoundError(`Not Found: stack '${formatStackRef(ref)}' not found`)
      if (stack.lockedByUpdate) {
        throw new ConflictError(
          `Conflict: an update is in progress on stack '${formatStackRef(ref)}'; wait for it or run 'pulumi cancel'`,
        )
      }
      // client.go :: isStackHasResourcesError matches this exact message.
      if (!force && stack.resourceCount > 0)
        throw new InvalidError('Bad Request: Stack still contains resources.')
      await tx.stacks.delete(stack.id)
      await this.deps.events?.onStackEvent(tx, { kind: 'stack_deleted', stack, user: by })
      this.deps.state.forget(stack)
    })
  }

  async setTags(ref: StackRef, tags: Record<string, string>): Promise<void> {
    validateTags(tags)
    const stack = await this.get(ref)
    await this.deps.store.transaction((tx) => tx.stacks.setTags(stack.id, tags))
  }

  /**
   * Renames a stack (also across projects). The CLI does not touch the state, so URNs and the service secrets
   * provider are rewritten here, as a new state version; secrets stay decryptable because keys follow the id.
   */
  async rename(ref: StackRef, newName: string, newProject: string, requestedBy: string): Promise<Stack> {
    validateStackName(newName)
    validateProjectName(newProject)
    const stack = await this.get(ref)
    const target = { org: ref.org, project: newProject, stack: newName }
    if (stack.project === newProject && stack.name === newName) return stack
    if (stack.lockedByUpdate) throw new ConflictError('Conflict: Another update is currently in progress.')
    const prepared =
      stack.version > 0 || stack.resourceCount > 0
        ? await this.#prepare(
            renameDeployment(
              parseUntypedDeployment(await this.deps.state.textAt(stack.id, stack.version)),
              { owner: ref.org, project: ref.project, stack: ref.stack },
              { owner: target.org, project: target.project, stack: target.stack },
            ),
          )
        : undefined
    await this.deps.store.transaction(async (tx) => {
      const current = await tx.stacks.findById(stack.id)
      if (!current || current.version !== stack.version || current.lockedByUpdate) {
        throw new ConflictError('Conflict: the stack changed while it was being renamed; try again')
      }
      await tx.stacks.rename(stack.id, newProject, newName)
      if (prepared) {
        const renamed = { ...current, project: newProject, name: newName }
        await this.deps.state.writeVersion(tx, renamed, current.version + 1, prepared)
        await this.#recordRename(tx, renamed, current.version + 1, prepared.resourceCount, requestedBy)
      }
    })
    return { ...stack, project: newProject, name: newName }
  }

  async #recordRename(
    tx: Store,
    stack: Stack,
    version: number,
    resourceCount: number,
    requestedBy: string,
  ): Promise<void> {
    const at = this.deps.clock.now()
    await tx.updates.insert(
      instantUpdate({
        id: randomUUID(),
        stackId: stack.id,
        kind: 'rename',
        version,
        requestedBy,
        at,
        resourceCount,
      }),
    )
  }

  #prepare(deployment: UntypedDeployment) {
    return this.deps.state.prepare(Buffer.from(JSON.stringify(deployment)), resourceCount(deployment))
  }
}

function encodeContinuation(ref: StackRef): string {
  return Buffer.from(JSON.stringify([ref.org, ref.project, ref.stack])).toString('base64url')
}

function decodeContinuation(token: string): StackRef {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'))
    if (Array.isArray(value) && value.length === 3) {
      const [org, project, stack] = value as unknown[]
      if (typeof org === 'string' && typeof project === 'string' && typeof stack === 'string') {
        return { org, project, stack }
      }
    }
  } catch {}
  throw new InvalidError('Bad Request: invalid continuationToken; start the listing again without it')
}
