// sdk/go/common/apitype and pkg/backend/httpstate/client/client.go :: serviceUser.

export interface ServiceUser {
  id: string
  githubLogin: string
  name: string
  email: string
  avatarUrl: string
  organizations: { githubLogin: string; name: string; avatarUrl: string }[]
  identities: string[]
  siteAdmin: boolean
  tokenInfo?: { name: string; organization?: string }
}

/** apitype.GetDefaultOrganizationResponse has no JSON tags, hence the Go field names. */
export interface GetDefaultOrganizationResponse {
  GitHubLogin: string
  Messages: unknown[]
}

/** apitype.APICapabilityConfig */
export interface ApiCapability {
  capability: string
  version?: number
  configuration?: Record<string, unknown>
}
