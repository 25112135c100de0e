import { randomUUID } from 'node:crypto'
import { ForbiddenError, InvalidError, NotFoundError, UnauthenticatedError } from '../errors.js'
import type { Clock } from '../lib/clock.js'
import { hashToken, newToken } from '../lib/tokens.js'
import type { AccessToken, AccessTokenKind, AccessTokenStore } from './access-token-store.js'
import type { AdminPolicy, Authenticator } from './authenticator.js'
import type { UserPrincipal } from './principal.js'

/** Last use is recorded at minute granularity: enough for audits, without a write on every request. */
const LAST_USE_RESOLUTION_MS = 60_000

export interface MintRequest {
  kind: AccessTokenKind
  userLogin: string
  name?: string
  description: string
  org?: string
  groups?: readonly string[]
  createdBy?: string
  /** Unix ms; undefined = never expires. */
  expiresAt?: number
}

/**
 * Opaque access tokens (`pul-` + 64 hex, Go server internal/auth/token.go): minted here, stored only as SHA-256,
 * checked on every request. Personal tokens act as their user; organization tokens act as the organization.
 */
export class AccessTokenService implements Authenticator {
  constructor(
    private readonly deps: {
      tokens: AccessTokenStore
      clock: Clock
      admins: AdminPolicy
      /** Runs token changes in one store transaction (with the request's audit event); default: directly. */
      atomically?: <T>(work: (tokens: AccessTokenStore) => Promise<T>) => Promise<T>
    },
  ) {}

  #atomically<T>(work: (tokens: AccessTokenStore) => Promise<T>): Promise<T> {
    return this.deps.atomically ? this.deps.atomically(work) : work(this.deps.tokens)
  }

  async mint(request: MintRequest): Promise<{ id: string; token: string }> {
    const token = newToken('pul')
    const id = randomUUID()
    await this.#atomically(async (tokens) => {
      // Short-lived login and CI tokens are minted all day: expired ones go as new ones come.
      if (request.expiresAt !== undefined) await tokens.deleteExpired(this.deps.clock.now())
      await this.#insert(tokens, request, id, token)
    })
    return { id, token }
  }

  async #insert(tokens: AccessTokenStore, request: MintRequest, id: string, token: string): Promise<void> {
    await tokens.insert({
      id,
      tokenHash: hashToken(token),
      kind: request.kind,
      name: request.name ?? '',
      description: request.description,
      userLogin: request.userLogin,
      org: request.org ?? null,
      groups: [...(request.groups ?? [])],
      createdBy: request.createdBy ?? null,
      createdAt: this.deps.clock.now(),
      lastUsedAt: null,
      expiresAt: request.expiresAt ?? null,
      idpRefreshToken: null,
      revalidatedAt: null,
    })
  }

  async authenticate(credential: string): Promise<UserPrincipal | undefined> {
    const stored = await this.lookup(credential)
    return stored && this.principalOf(stored)
  }

  /** The stored token a credential names, if valid now; records its use. */
  async lookup(credential: string): Promise<AccessToken | undefined> {
    if (credential === '') return undefined
    // Lookup by digest: the database never sees the token, and equality of digests leaks nothing useful.
    const stored = await this.deps.tokens.findByHash(hashToken(credential))
    if (!stored) return undefined
    const now = this.deps.clock.now()
    if (stored.expiresAt !== null && stored.expiresAt <= now) {
      throw new UnauthenticatedError('Unauthorized: the access token has expired; run `pulumi login` again')
    }
    if (stored.lastUsedAt === null || now - stored.lastUsedAt >= LAST_USE_RESOLUTION_MS) {
      await this.deps.tokens.touch(stored.id, now)
    }
    return stored
  }

  principalOf(token: AccessToken): UserPrincipal {
    const organization = token.kind === 'organization' ? (token.org ?? token.userLogin) : undefined
    return {
      kind: 'user',
      login: token.userLogin,
      displayName: token.userLogin,
      groups: token.groups,
      method: 'access-token',
      tokenId: token.id,
      tokenName: organization !== undefined ? token.name : undefined,
      organization,
      // An organization token is the organization's machine member with admin rights on it (Pulumi Cloud's
      // "admin organization token"); personal tokens carry their user's rights.
      admin: organization !== undefined || this.deps.admins.isAdmin(token.userLogin, token.groups),
    }
  }

  // --- personal tokens (GET/POST/DELETE /api/user/tokens) ---------------------------------------------------

  async createPersonal(
    caller: UserPrincipal,
    input: { description: string; expires: number },
  ): Promise<{ id: string; token: string }> {
    const user = personOf(caller)
    return this.mint({
      kind: 'personal',
      userLogin: user.login,
      description: input.description,
      groups: user.groups,
      createdBy: user.login,
      expiresAt: this.#expiry(input.expires),
    })
  }

  async listPersonal(caller: UserPrincipal): Promise<AccessToken[]> {
    return this.deps.tokens.listPersonal(personOf(caller).login)
  }

  async deletePersonal(caller: UserPrincipal, id: string): Promise<void> {
    const login = personOf(caller).login
    const deleted = await this.#atomically((tokens) =>
      tokens.delete(id, { kind: 'personal', userLogin: login }),
    )
    if (!deleted) throw new NotFoundError(`Not Found: token '${id}' not found`)
  }

  // --- admin: another user's tokens (GET/DELETE /api/admin/tokens/{userName}) ------------------------------

  async listUserTokens(caller: UserPrincipal, userLogin: string): Promise<AccessToken[]> {
    requireAdmin(caller)
    return this.deps.tokens.listPersonal(userLogin)
  }

  async revokeUserTokens(caller: UserPrincipal, userLogin: string): Promise<number> {
    requireAdmin(caller)
    return this.#atomically((tokens) => tokens.deletePersonal(userLogin))
  }

  // --- organization tokens (/api/orgs/{org}/tokens) ----------------------------------------------------------

  async createOrganization(
    caller: UserPrincipal,
    org: string,
    input: { name: string; description: string; expires: number },
  ): Promise<{ id: string; token: string }> {
    requireAdmin(caller)
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(input.name)) {
      throw new InvalidError(
        'Bad Request: token name must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
      )
    }
    const existing = await this.deps.tokens.listOrganization(org)
    if (existing.some((t) => t.name === input.name)) {
      throw new InvalidError(`Bad Request: organization '${org}' already has a token named '${input.name}'`)
    }
    return this.mint({
      kind: 'organization',
      userLogin: org,
      org,
      name: input.name,
      description: input.description,
      createdBy: caller.login,
      expiresAt: this.#expiry(input.expires),
    })
  }

  async listOrganization(caller: UserPrincipal, org: string): Promise<AccessToken[]> {
    requireAdmin(caller)
    return this.deps.tokens.listOrganization(org)
  }

  async deleteOrganization(caller: UserPrincipal, org: string, id: string): Promise<void> {
    requireAdmin(caller)
    if (!(await this.#atomically((tokens) => tokens.delete(id, { kind: 'organization', org })))) {
      throw new NotFoundError(`Not Found: token '${id}' not found`)
    }
  }

  /** `expires` as the Cloud API sends it: Unix seconds, 0 = never. */
  #expiry(expires: number): number | undefined {
    if (expires === 0) return undefined
    if (!Number.isSafeInteger(expires) || expires < 0) {
      throw new InvalidError('Bad Request: expires must be Unix seconds, or 0 for a token that never expires')
    }
    const at = expires * 1000
    if (at <= this.deps.clock.now()) throw new InvalidError('Bad Request: expires must be in the future')
    return at
  }
}

function requireAdmin(caller: UserPrincipal): void {
  if (!caller.admin) throw new ForbiddenError('Forbidden: this operation requires admin rights')
}

/** Personal tokens belong to people; an organization token cannot mint or list them. */
function personOf(caller: UserPrincipal): UserPrincipal {
  if (caller.organization !== undefined) {
    throw new ForbiddenError('Forbidden: an organization token has no personal tokens; use a personal token')
  }
  return caller
}
