/** Who is calling. Passed explicitly to services as one value. */
export type Principal = UserPrincipal | UpdateLeasePrincipal

export interface UserPrincipal {
  kind: 'user'
  login: string
  /** Present for named (non-personal) tokens, shown by `pulumi whoami -v`. */
  tokenName: string | undefined
}

/** The holder of an update's lease token (`Authorization: update-token …`). */
export interface UpdateLeasePrincipal {
  kind: 'update-lease'
  updateId: string
  stackId: string
  /** SHA-256 of the presented token: writes re-check it against the update row (it may have been rotated). */
  tokenHash: string
}
