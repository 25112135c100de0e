import type { Logger } from 'pino'
import type { AdminPolicy, Authenticator } from './authenticator.js'
import type { GroupsResolver } from './google-workspace.js'

/**
 * google mode: a user's groups are looked up live (through the cache) on each request rather than frozen into the
 * token, so a membership change takes effect within -groups-cache-ttl. If the lookup fails the user proceeds with
 * no groups (Go server behaviour), i.e. with the rights every user has.
 */
export function withWorkspaceGroups(
  inner: Authenticator,
  deps: { groups: GroupsResolver; admins: AdminPolicy; logger: Logger },
): Authenticator {
  return {
    async authenticate(credential) {
      const principal = await inner.authenticate(credential)
      if (!principal || principal.organization !== undefined) return principal
      let groups: string[] = []
      try {
        groups = await deps.groups.groupsOf(principal.login)
      } catch (error) {
        deps.logger.warn(
          { user: principal.login, error: (error as Error).message },
          'could not resolve Google Workspace groups; continuing without groups',
        )
      }
      return { ...principal, groups, admin: deps.admins.isAdmin(principal.login, groups) }
    },
  }
}
