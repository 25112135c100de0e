import type { OrganizationMember } from '../apitype/organizations.js'
import type { Store } from '../db/store.js'
import { InvalidError, NotFoundError } from '../errors.js'
import type { IdentityService } from '../identity/identity-service.js'
import type { UserPrincipal } from '../identity/principal.js'
import type { Clock } from '../lib/clock.js'
import { visibleMembers } from '../rbac/members-view.js'
import type { RbacPolicy } from '../rbac/rbac-config.js'

const CREATED_KEY = 'organization_created_at'

/** The member kinds of the Cloud's ListOrganizationMembers `type` query (frontend: service, backend: IdP). */
export type MemberListKind = 'frontend' | 'backend'

/**
 * Organizations as the single tenant sees them: one organization (-org) whose only member is the one user, an
 * admin. The user's personal account (its login) is an organization of one as well, as in Pulumi Cloud.
 */
export class OrgService {
  constructor(
    private readonly deps: {
      store: Store
      clock: Clock
      identity: IdentityService
      /** Multi-user modes (oidc, google, jwt): the members are the users the server knows, filtered. */
      multiUser?:
        | {
            policy: () => RbacPolicy | undefined
            isAdmin: (login: string, groups: readonly string[]) => boolean
          }
        | undefined
    },
  ) {}

  /** Both member kinds (frontend, backend) are the same users here (the identity provider's), so the kind changes nothing. */
  async members(org: string, caller: UserPrincipal): Promise<OrganizationMember[]> {
    const { identity, multiUser } = this.deps
    const personal = multiUser ? caller.login : identity.user
    if (org !== identity.defaultOrganization && org !== personal) {
      throw new NotFoundError(
        `Not Found: organization '${org}' does not exist on this server (its organization is '${identity.defaultOrganization}')`,
      )
    }
    if (multiUser) {
      const users = org === personal ? [] : await this.deps.store.accessTokens.users()
      const since = await this.createdAt()
      return visibleMembers(multiUser.policy(), caller, users, multiUser.isAdmin).map((member) => {
        const role = member.admin ? 'admin' : 'member'
        return {
          role,
          user: { name: member.login, githubLogin: member.login, avatarUrl: '' },
          created: member.firstSeenAt ? new Date(member.firstSeenAt).toISOString() : since,
          knownToPulumi: true,
          virtualAdmin: false,
          fgaRole: { id: role, name: role === 'admin' ? 'Admin' : 'Member', modifiedAt: '' },
        }
      })
    }
    return [
      {
        role: 'admin',
        user: { name: identity.user, githubLogin: identity.user, avatarUrl: '' },
        created: await this.createdAt(),
        knownToPulumi: true,
        virtualAdmin: false,
        fgaRole: { id: 'admin', name: 'Admin', modifiedAt: '' },
      },
    ]
  }

  /** When the tenant first listed its members: stored once, so every replica and restart reports the same date. */
  private async createdAt(): Promise<string> {
    const now = new Date(this.deps.clock.now()).toISOString()
    return this.deps.store.meta.setIfAbsent(CREATED_KEY, now)
  }
}

export function parseMemberListKind(value: string | undefined): MemberListKind | undefined {
  if (value === undefined || value === '') return undefined
  if (value === 'frontend' || value === 'backend') return value
  throw new InvalidError(`Bad Request: invalid member type '${value}'; expected 'frontend' or 'backend'`)
}
