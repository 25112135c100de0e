import { InvalidError } from '../errors.js'

/** A stack as the server knows it. `id` is immutable: secrets and history are keyed by it, so renames are free. */
export interface Stack {
  id: string
  org: string
  project: string
  name: string
  tags: Record<string, string>
  /** Latest stack version; 0 = never updated. */
  version: number
  resourceCount: number
  /** The running non-preview update that holds the stack lock. */
  lockedByUpdate: string | null
  lastUpdateId: string | null
  lastUpdateAt: number | null
  createdAt: number
}

export interface StackRef {
  org: string
  project: string
  stack: string
}

// Name rules exactly as the CLI enforces them, so anything the CLI can send is accepted and nothing else is.
// pkg/backend/httpstate/backend.go :: stackOwnerRegexp
const OWNER = /^[a-zA-Z0-9][a-zA-Z0-9-_]{1,38}[a-zA-Z0-9]$/
// sdk/go/common/tokens/project.go :: ValidateProjectName (after the CLI's cleanProjectName)
const PROJECT = /^[A-Za-z0-9_.-]{1,100}$/
// sdk/go/common/tokens/stack_name.go :: ParseStackName
const STACK = /^[A-Za-z0-9_.-]{1,100}$/
// pkg/util/validation :: ValidateStackTags
const TAG_NAME = /^[a-zA-Z0-9-_.:]{1,40}$/
// The CLI's validators accept these, but as path segments they mean "this" and "parent" to every URL resolver and
// proxy (RFC 3986 §5.2.4; the CLI's own route matcher cleans them away: client/api_endpoints.go :: cleanPath), so
// such a stack could never be addressed reliably.
const DOT_SEGMENTS = new Set(['.', '..'])
const MAX_TAG_VALUE = 256

export function validateOwnerName(org: string): void {
  if (!OWNER.test(org)) {
    throw new InvalidError(
      `Bad Request: invalid organization name '${org}': use 3–40 letters, digits, '-' or '_', starting and ending with a letter or digit`,
    )
  }
}

export function validateProjectName(project: string): void {
  if (DOT_SEGMENTS.has(project)) {
    throw new InvalidError(
      `Bad Request: invalid project name '${project}': '.' and '..' cannot be used as names`,
    )
  }
  if (!PROJECT.test(project)) {
    throw new InvalidError(
      `Bad Request: invalid project name '${project}': use 1–100 letters, digits, '-', '_' or '.'`,
    )
  }
}

export function validateStackName(stack: string): void {
  if (DOT_SEGMENTS.has(stack)) {
    throw new InvalidError(`Bad Request: invalid stack name '${stack}': '.' and '..' cannot be used as names`)
  }
  if (!STACK.test(stack)) {
    throw new InvalidError(
      `Bad Request: invalid stack name '${stack}': use 1–100 letters, digits, '-', '_' or '.'`,
    )
  }
}

export function validateStackRef(ref: StackRef): void {
  validateOwnerName(ref.org)
  validateProjectName(ref.project)
  validateStackName(ref.stack)
}

export function validateTags(tags: Record<string, string>): void {
  for (const [name, value] of Object.entries(tags)) {
    if (!TAG_NAME.test(name)) {
      throw new InvalidError(
        `Bad Request: invalid stack tag name '${name}': use 1–40 letters, digits, '-', '_', '.' or ':'`,
      )
    }
    if (value.length > MAX_TAG_VALUE) {
      throw new InvalidError(`Bad Request: stack tag '${name}' is longer than ${MAX_TAG_VALUE} characters`)
    }
  }
}

/**
 * The teams of `pulumi stack init --teams`, as the CLI cleans them (stack_new.go :: sanitizeTeams: trimmed, blanks
 * dropped), de-duplicated. Names are kept whole: a team is an identity-provider group, which may contain commas
 * (LDAP DNs), so `--teams a,b` names one team; repeat the flag for several.
 */
export function sanitizeTeams(teams: readonly string[]): string[] {
  const names = [...new Set(teams.map((team) => team.trim()).filter((team) => team !== ''))]
  for (const team of names) {
    if (/\p{Cc}/u.test(team)) {
      throw new InvalidError(`Bad Request: invalid team name ${JSON.stringify(team)}: control characters`)
    }
  }
  return names
}

export function formatStackRef(ref: StackRef): string {
  return `${ref.org}/${ref.project}/${ref.stack}`
}
