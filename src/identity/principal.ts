/** Who is calling. Passed explicitly to services as one value. */
export type Principal = UserPrincipal | UpdateLeasePrincipal

/** How a user principal proved who it is. */
export type AuthMethod = 'static-token' | 'access-token' | 'jwt'

export interface UserPrincipal {
  kind: 'user'
  /** The login the CLI shows (`pulumi whoami`) and history records as `requestedBy`. */
  login: string
  displayName: string
  /** Group memberships from the identity provider (RBAC input). */
  groups: readonly string[]
  method: AuthMethod
  /** Id of the stored access token used, if any (audit, self-revocation). */
  tokenId: string | undefined
  /** Present for named (non-personal) tokens, shown by `pulumi whoami -v`. */
  tokenName: string | undefined
  /** Set when an organization token is used: the caller acts as that organization, not as a person. */
  organization: string | undefined
  /** May manage other users' and organization tokens. */
  admin: boolean
}

/** The holder of an update's lease token (`Authorization: update-token …`). */
export interface UpdateLeasePrincipal {
  kind: 'update-lease'
  updateId: string
  stackId: string
}
