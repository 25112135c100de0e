// sdk/go/common/apitype/organizations.go (ListOrganizationMembers) and list_deployments.go :: UserInfo.

export interface UserInfo {
  name: string
  githubLogin: string
  avatarUrl: string
  email?: string
}

/** apitype.FGARole: for built-in roles the id is the role name. */
export interface FgaRole {
  id: string
  name: string
  modifiedAt: string
}

export interface OrganizationMember {
  role: string
  user: UserInfo
  created: string
  knownToPulumi: boolean
  virtualAdmin: boolean
  fgaRole: FgaRole
}

/** apitype.ListOrganizationMembersResponse: `continuationToken` omitted (empty) on the last page. */
export interface ListOrganizationMembersResponse {
  members: OrganizationMember[]
  continuationToken?: string
}
