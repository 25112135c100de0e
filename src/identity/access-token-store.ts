export interface AccessToken {
  id: string
  tokenHash: string
  name: string
  userLogin: string
  createdAt: number
  lastUsedAt: number | null
}

export interface AccessTokenStore {
  findByHash(tokenHash: string): Promise<AccessToken | undefined>
  insert(token: AccessToken): Promise<void>
  count(): Promise<number>
  touch(id: string, at: number): Promise<void>
}
