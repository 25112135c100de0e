import { type Static, Type } from 'typebox'

// sdk/go/common/apitype/organizations.go (ListOrganizationMembers) and list_deployments.go :: UserInfo.

export const OrganizationMember = Type.Object(
  {
    role: Type.String({ description: 'built-in role (deprecated by the service in favour of fgaRole)' }),
    user: Type.Object({
      name: Type.String(),
      githubLogin: Type.String(),
      avatarUrl: Type.String(),
      email: Type.Optional(Type.String()),
    }),
    created: Type.String({ description: 'when the member joined (RFC 3339)' }),
    knownToPulumi: Type.Boolean(),
    virtualAdmin: Type.Boolean(),
    fgaRole: Type.Object(
      { id: Type.String(), name: Type.String(), modifiedAt: Type.String() },
      { description: 'apitype.FGARole: for built-in roles the id is the role name' },
    ),
  },
  { description: 'apitype.OrganizationMember' },
)
export type OrganizationMember = Static<typeof OrganizationMember>

/** `continuationToken` omitted (empty) on the last page. */
export const ListOrganizationMembersResponse = Type.Object(
  { members: Type.Array(OrganizationMember), continuationToken: Type.Optional(Type.String()) },
  { description: 'apitype.ListOrganizationMembersResponse' },
)
export type ListOrganizationMembersResponse = Static<typeof ListOrganizationMembersResponse>
