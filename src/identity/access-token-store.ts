/** personal: acts as its user; organization: acts as the organization itself (CI), belongs to no person. */
export type AccessTokenKind = 'personal' | 'organization'

export interface AccessToken {
  id: string
  /** sha256 hex of the token value; the value itself is never stored. */
  tokenHash: string
  kind: AccessTokenKind
  /** Short name (organization tokens, the single-tenant admin token); '' when none. */
  name: string
  description: string
  /** The user a personal token acts as; the organization name for organization tokens. */
  userLogin: string
  org: string | null
  /** Groups captured when the token was minted (from the ID token or the caller). */
  groups: string[]
  createdBy: string | null
  createdAt: number
  lastUsedAt: number | null
  /** Unix ms; null = never expires. */
  expiresAt: number | null
  /** The IdP refresh token of a login, sealed (base64); null when the login gave none. */
  idpRefreshToken: string | null
  /** Last re-validation at the IdP (Unix ms). */
  revalidatedAt: number | null
}

/** A user the server knows from its tokens (there is no user table: identities live in the identity provider). */
export interface KnownUser {
  login: string
  groups: string[]
  firstSeenAt: number
}

export interface AccessTokenStore {
  findByHash(tokenHash: string): Promise<AccessToken | undefined>
  insert(token: AccessToken): Promise<void>
  count(): Promise<number>
  touch(id: string, at: number): Promise<void>
  listPersonal(userLogin: string): Promise<AccessToken[]>
  listOrganization(org: string): Promise<AccessToken[]>
  /** Deletes the token when it matches the owner filter; false when no such token. */
  delete(id: string, owner: { kind: AccessTokenKind; userLogin?: string; org?: string }): Promise<boolean>
  setIdpRefreshToken(id: string, sealed: string): Promise<void>
  /**
   * Claims the next re-validation of a token: sets revalidated_at to `at` only if it still equals `previous`, so
   * of several replicas seeing the same token only one refreshes it.
   */
  claimRevalidation(id: string, previous: number | null, at: number): Promise<boolean>
  deleteById(id: string): Promise<void>
  /** Removes tokens that expired before `now` (they can never be used again). */
  deleteExpired(now: number): Promise<void>
  /** The users holding a personal token: each with its earliest token's time and its latest token's groups. */
  users(): Promise<KnownUser[]>
  /** Deletes every personal token of a user; returns how many. */
  deletePersonal(userLogin: string): Promise<number>
}
