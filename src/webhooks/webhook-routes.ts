import { Type } from 'typebox'
import { StackPath } from '../apitype/stacks.js'
import { OrgHookPath, OrgPath, WebhookRequest } from '../apitype/webhooks.js'
import type { HttpServer } from '../http/http-server.js'
import type { Permission } from '../rbac/permission.js'
import { stackRef } from '../stacks/stack-routes.js'
import type { HookScope, WebhookService } from './webhook-service.js'

const ORG = '/api/orgs/:orgName/hooks'
const STACK = '/api/stacks/:orgName/:projectName/:stackName/hooks'
const ENV = '/api/esc/environments/:orgName/:projectName/:envName/hooks'
const StackHookPath = Type.Object({ ...StackPath.properties, hookName: Type.String() })
const EnvPath = Type.Object({ orgName: Type.String(), projectName: Type.String(), envName: Type.String() })
const EnvHookPath = Type.Object({ ...EnvPath.properties, hookName: Type.String() })
const EventParam = { event: Type.String() }

/**
 * Organization, stack and ESC environment webhooks, the same operations at each scope (client.go ::
 * ListOrgWebhooks … RedeliverStackWebhookEvent; Pulumi's spec: ListOrganizationWebhooks … and the
 * `…_esc_environments` operations).
 */
export function webhookRoutes(app: HttpServer, deps: { webhooks: WebhookService }): void {
  const { webhooks } = deps
  for (const scope of ['Organization', 'Stack', 'Environment'] as const) {
    const base = { Organization: ORG, Stack: STACK, Environment: ENV }[scope]
    const ScopePath = { Organization: OrgPath, Stack: StackPath, Environment: EnvPath }[scope]
    const HookPath = { Organization: OrgHookPath, Stack: StackHookPath, Environment: EnvHookPath }[scope]
    const scopeOf = (params: Record<string, string>): HookScope => {
      const org = params.orgName as string
      if (scope === 'Stack') return { org, stack: stackRef(params as Parameters<typeof stackRef>[0]) }
      if (scope === 'Environment') {
        return { org, env: { project: params.projectName as string, name: params.envName as string } }
      }
      return { org }
    }
    const hook = `${base}/:hookName`
    // Org webhooks: managing them is an org-admin task (they send events out); stack webhooks follow the stack;
    // environment webhooks follow the environments (org:read to read them, org:write to change them).
    const canRead: Permission = scope === 'Stack' ? 'stack:read' : 'org:read'
    const canWrite: Permission = {
      Organization: 'org:admin',
      Stack: 'stack:write',
      Environment: 'org:write',
    }[scope] as Permission
    const canDelete: Permission = {
      Organization: 'org:admin',
      Stack: 'stack:admin',
      Environment: 'org:write',
    }[scope] as Permission

    app.route({
      method: 'GET',
      url: base,
      config: { operationId: `list${scope}Webhooks`, permission: canRead, auth: 'token' },
      schema: { params: ScopePath },
      handler: async (request) => webhooks.list(scopeOf(request.params)),
    })
    app.route({
      method: 'POST',
      url: base,
      config: { operationId: `create${scope}Webhook`, permission: canWrite, auth: 'token' },
      schema: { params: ScopePath, body: WebhookRequest },
      handler: async (request, reply) => {
        const created = await webhooks.create(scopeOf(request.params), request.body)
        return reply.code(201).send(created)
      },
    })
    app.route({
      method: 'GET',
      url: hook,
      config: { operationId: `get${scope}Webhook`, permission: canRead, auth: 'token' },
      schema: { params: HookPath },
      handler: async (request) => webhooks.get(scopeOf(request.params), request.params.hookName),
    })
    app.route({
      method: 'PATCH',
      url: hook,
      config: { operationId: `update${scope}Webhook`, permission: canWrite, auth: 'token' },
      schema: { params: HookPath, body: WebhookRequest },
      handler: async (request) =>
        webhooks.update(scopeOf(request.params), request.params.hookName, request.body),
    })
    app.route({
      method: 'DELETE',
      url: hook,
      config: { operationId: `delete${scope}Webhook`, permission: canDelete, auth: 'token' },
      schema: { params: HookPath },
      handler: async (request) => {
        await webhooks.delete(scopeOf(request.params), request.params.hookName)
        return {}
      },
    })
    app.route({
      method: 'POST',
      url: `${hook}/ping`,
      config: { operationId: `ping${scope}Webhook`, permission: canWrite, auth: 'token' },
      schema: { params: HookPath },
      handler: async (request) => webhooks.ping(scopeOf(request.params), request.params.hookName),
    })
    app.route({
      method: 'GET',
      url: `${hook}/deliveries`,
      config: { operationId: `list${scope}WebhookDeliveries`, permission: canRead, auth: 'token' },
      schema: { params: HookPath },
      handler: async (request) => webhooks.deliveries(scopeOf(request.params), request.params.hookName),
    })
    app.route({
      method: 'POST',
      url: `${hook}/deliveries/:event/redeliver`,
      config: { operationId: `redeliver${scope}WebhookEvent`, permission: canWrite, auth: 'token' },
      schema: { params: Type.Object({ ...HookPath.properties, ...EventParam }) },
      handler: async (request) =>
        webhooks.redeliver(scopeOf(request.params), request.params.hookName, request.params.event),
    })
  }
}
