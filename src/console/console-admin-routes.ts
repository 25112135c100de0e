import type { FastifyRequest } from 'fastify'
import {
  AUDIT_EXPORT_LIMIT,
  type AuditListParams,
  type AuditQueryService,
  toCsv,
} from '../audit/audit-query.js'
import { InvalidError, NotFoundError } from '../errors.js'
import type { AccessTokenService } from '../identity/access-token-service.js'
import type { Clock } from '../lib/clock.js'
import type { AccessControl } from '../rbac/access-control.js'
import type { StackService } from '../stacks/stack-service.js'
import { formOf, type PageRegistrar, queryOf, requireAllowed, userFrame, userOf } from './console-page.js'
import { checkCsrf } from './console-session.js'
import { type CreatedToken, tokenForm } from './console-token-routes.js'
import type { ConsoleFlash } from './flash/console-flash.js'
import { urlPart } from './html.js'
import { adminPage } from './pages/admin-page.js'
import { type AuditFilters, auditLogPage } from './pages/audit-log-page.js'
import { orgTokensPage } from './pages/org-tokens-page.js'

type OrgParams = { org: string }
const DAY = /^\d{4}-\d{2}-\d{2}$/

/**
 * Organization administration (org:admin, as /api/orgs/{org}/tokens and /auditlogs): the organization's tokens
 * through AccessTokenService, the audit log through AuditQueryService (the services of those API routes).
 */
export function consoleAdminRoutes(
  page: PageRegistrar,
  deps: {
    tokens: AccessTokenService
    auditQuery: AuditQueryService | undefined
    stacks: StackService
    access: AccessControl
    clock: Clock
    flash: ConsoleFlash
  },
): void {
  const orgOf = async (request: FastifyRequest) => {
    const { org } = request.params as OrgParams
    await requireAllowed(deps.access, request, 'org:admin', { org })
    return org
  }

  page('GET', '/admin', 'admin', 'session', async (request, reply) => {
    const picked = queryOf(request).org?.trim()
    if (picked) {
      void reply.redirect(`/admin/${urlPart(picked)}/tokens`, 303)
      return undefined
    }
    const orgs = new Set<string>()
    let continuationToken: string | undefined
    do {
      const found = await deps.stacks.list({ continuationToken })
      for (const stack of found.stacks) orgs.add(stack.org)
      continuationToken = found.continuationToken
    } while (continuationToken)
    const allowed = await Promise.all([...orgs].map((org) => allowedQuietly(request, org)))
    const admin = [...orgs].filter((_org, i) => allowed[i]).sort()
    return adminPage(admin, userFrame(request))
  })
  const allowedQuietly = async (request: FastifyRequest, org: string) => {
    try {
      await requireAllowed(deps.access, request, 'org:admin', { org })
      return true
    } catch {
      return false
    }
  }

  page('GET', '/admin/:org/tokens', 'org tokens', 'session', async (request) => {
    const org = await orgOf(request)
    const tokens = await deps.tokens.listOrganization(userOf(request), org)
    const created = await deps.flash.take<CreatedToken>(request)
    return orgTokensPage(org, tokens, created, userFrame(request))
  })

  page('POST', '/admin/:org/tokens', 'org token create', 'session', async (request, reply) => {
    const form = formOf(request)
    checkCsrf(request, form)
    const org = await orgOf(request)
    const input = tokenForm(form, deps.clock)
    // The same use case as POST /api/orgs/{org}/tokens; shown once by the next GET (POST-redirect-GET).
    const { token } = await deps.tokens.createOrganization(userOf(request), org, {
      ...input,
      name: (form.get('name') ?? '').trim(),
    })
    await deps.flash.put(request, { description: input.description, token } satisfies CreatedToken)
    void reply.redirect(`/admin/${urlPart(org)}/tokens`, 303)
    return undefined
  })

  page(
    'POST',
    '/admin/:org/tokens/:tokenId/revoke',
    'org token revoke',
    'session',
    async (request, reply) => {
      checkCsrf(request, formOf(request))
      const org = await orgOf(request)
      await deps.tokens.deleteOrganization(
        userOf(request),
        org,
        (request.params as { tokenId: string }).tokenId,
      )
      void reply.redirect(`/admin/${urlPart(org)}/tokens`, 303)
      return undefined
    },
  )

  const auditOf = async (request: FastifyRequest) => {
    const org = await orgOf(request)
    if (!deps.auditQuery)
      throw new NotFoundError('Not Found: the audit log is off on this server (-audit-logs=false)')
    const q = queryOf(request)
    const filters: AuditFilters = {
      user: q.user?.trim() ?? '',
      event: q.event?.trim() ?? '',
      from: q.from ?? '',
      to: q.to ?? '',
    }
    return {
      org,
      auditQuery: deps.auditQuery,
      filters,
      params: listParams(org, filters, q.continuationToken),
    }
  }

  page('GET', '/admin/:org/audit', 'audit log', 'session', async (request) => {
    const { org, auditQuery, filters, params } = await auditOf(request)
    const found = await auditQuery.list(params)
    return auditLogPage(org, filters, found.events, found.continuationToken, userFrame(request))
  })

  page('GET', '/admin/:org/audit/export', 'audit log export', 'session', async (request, reply) => {
    const { org, auditQuery, params } = await auditOf(request)
    // The same query and CSV as GET /api/orgs/{org}/auditlogs/export (audit-routes.ts).
    const found = await auditQuery.list(params, AUDIT_EXPORT_LIMIT)
    if (found.continuationToken) void reply.header('x-continuation-token', found.continuationToken)
    void reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="audit-${org}.csv"`)
      .send(toCsv(found.events))
    return undefined
  })
}

function listParams(
  org: string,
  filters: AuditFilters,
  continuationToken: string | undefined,
): AuditListParams {
  for (const day of [filters.from, filters.to]) {
    if (day !== '' && (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`)))) {
      throw new InvalidError(`Bad Request: '${day}' is not a day; write YYYY-MM-DD`)
    }
  }
  const seconds = (day: string) => Math.floor(Date.parse(`${day}T00:00:00Z`) / 1000)
  return {
    org,
    continuationToken: continuationToken || undefined,
    startTime: filters.from ? seconds(filters.from) : undefined,
    // Until the end of the chosen day (endTime is exclusive).
    endTime: filters.to ? seconds(filters.to) + 86_400 : undefined,
    userFilter: filters.user || undefined,
    eventFilter: filters.event || undefined,
  }
}
