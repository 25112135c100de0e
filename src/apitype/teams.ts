import { Type } from 'typebox'

// Pulumi Cloud's Team (as far as `pulumi org` and REST clients read it) and a role list.
export const TeamStackPermission = Type.Object({
  projectName: Type.String(),
  stackName: Type.String(),
  permission: Type.Integer({ description: '0 none, 101 read, 102 write, 103 admin' }),
  permissionSetName: Type.String(),
})
export const Team = Type.Object({
  kind: Type.String(),
  name: Type.String(),
  displayName: Type.String(),
  description: Type.String(),
  members: Type.Array(
    Type.Object({
      name: Type.String(),
      githubLogin: Type.String(),
      avatarUrl: Type.String(),
      role: Type.String(),
    }),
  ),
  userRole: Type.String(),
  stacks: Type.Array(TeamStackPermission),
})
export const ListTeamsResponse = Type.Object({ teams: Type.Array(Team) })
export const ListRolesResponse = Type.Object({
  roles: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      permission: Type.Integer(),
      isDefault: Type.Boolean(),
    }),
  ),
})
