// Stacks as referrers of an environment: the stacks whose latest update imported it. The CLI records a stack's
// `environment:` imports in the update's environment metadata as `stack.environments`, JSON `[{"id":"proj/env@3"}]`
// (pulumi/pulumi sdk/go/common/apitype UpdateMetadata.RecordStackEnvironment; read back by
// pkg/backend/httpstate GetLatestConfiguration).
import type { Stack, StackRef } from '../stacks/stack.js'

export const STACK_ENVIRONMENTS = 'stack.environments'

/** What the referrers query needs from stacks and updates. */
export interface StackImportsSource {
  /** Stacks of the organization after `after` (keyset order), at most `limit`. */
  listStacks(org: string, after: StackRef | undefined, limit: number): Promise<Stack[]>
  /** The latest non-preview update that started: its version and environment metadata. */
  latestUpdate(stackId: string): Promise<{ version: number; environment: Record<string, string> } | undefined>
}

export interface StackReferrer {
  stack: { project: string; stack: string; version: number }
}

/** The environment names (`project/env` or `env`, version pins dropped) an update's metadata says it imported. */
export function importedEnvironments(environment: Record<string, string>): string[] {
  const text = environment[STACK_ENVIRONMENTS]
  if (!text) return []
  try {
    const parsed = JSON.parse(text) as unknown
    if (!Array.isArray(parsed)) return []
    return parsed
      .map((entry) => (entry as { id?: unknown } | null)?.id)
      .filter((id): id is string => typeof id === 'string' && id !== '')
      .map((id) => (id.lastIndexOf('@') > 0 ? id.slice(0, id.lastIndexOf('@')) : id))
  } catch {
    return [] // metadata is client-written: a malformed value names nothing
  }
}

/** Stacks of `org` the caller may read whose latest update imported one of `names`. */
export async function stackReferrers(
  source: StackImportsSource,
  org: string,
  names: ReadonlySet<string>,
  canRead: (ref: StackRef) => boolean,
): Promise<StackReferrer[]> {
  const found: StackReferrer[] = []
  const pageSize = 200
  let after: StackRef | undefined
  for (;;) {
    const page = await source.listStacks(org, after, pageSize)
    for (const stack of page) {
      const ref = { org: stack.org, project: stack.project, stack: stack.name }
      if (stack.version === 0 || !canRead(ref)) continue
      const latest = await source.latestUpdate(stack.id)
      if (latest && importedEnvironments(latest.environment).some((name) => names.has(name))) {
        found.push({ stack: { project: stack.project, stack: stack.name, version: latest.version } })
      }
    }
    const last = page.at(-1)
    if (page.length < pageSize || !last) return found
    after = { org: last.org, project: last.project, stack: last.name }
  }
}
