import { NotFoundError } from '../errors.js'
import type { HttpServer } from './http-server.js'

const STACK = '/api/stacks/:orgName/:projectName/:stackName'
const ORG = '/api/orgs/:orgName'

/**
 * Pulumi Cloud features this server does not provide, by path prefix (paths from Pulumi's OpenAPI spec and the
 * CLI's client.go). Each prefix answers every method with a 404 naming the feature, so a command like
 * `pulumi deployment run` fails with a reason instead of "no route". Prefixes are registered as
 * wildcard routes: when a feature is implemented later, its concrete routes are more specific and win (Fastify
 * route matching prefers static and parametric segments over `*`), so nothing here needs deleting first.
 */
export const UNPROVIDED_FEATURES: readonly { feature: string; prefixes: readonly string[] }[] = [
  {
    // Environments themselves are served (src/esc); these are ESC's Cloud-only parts.
    feature: 'Pulumi ESC providers, rotators, cloud setup and preview environment APIs',
    prefixes: ['/api/preview/environments', '/api/esc/providers', '/api/esc/rotators', '/api/esc/cloudsetup'],
  },
  {
    feature: 'Pulumi Deployments',
    prefixes: [
      '/api/deployments',
      `${ORG}/deployments`,
      `${ORG}/agent-pools`,
      `${STACK}/deployments`,
      `${STACK}/drift`,
    ],
  },
  {
    feature: 'Policy packs (CrossGuard)',
    prefixes: [
      `${ORG}/policypacks`,
      `${ORG}/policygroups`,
      `${ORG}/policyresults`,
      '/api/registry/policypacks',
    ],
  },
  {
    feature: 'Pulumi Insights and resource search',
    prefixes: [
      '/api/preview/insights',
      // Search's dashboards and exports; the searches themselves (search/resources, …/resourcesv2) are served.
      `${ORG}/search/resources/dashboard`,
      `${ORG}/search/resources/export`,
      `${ORG}/search/column-set`,
      `${ORG}/insights-scans`,
      `${ORG}/resources`,
    ],
  },
  {
    feature: 'Pulumi Neo and Copilot (AI)',
    // search/resources/parse: natural-language search (`pulumi org search ai`).
    prefixes: [
      '/api/ai',
      '/api/preview/agents',
      '/api/agents',
      `${ORG}/neo`,
      `${ORG}/search/resources/parse`,
    ],
  },
  { feature: 'Shared encrypted logs (pulumi logs share)', prefixes: ['/api/log-encryption-session'] },
  { feature: 'The Pulumi Cloud console and its VCS integrations', prefixes: ['/api/console'] },
  {
    feature: 'Organization membership management (teams and roles are read-only views of -rbac-config)',
    prefixes: [`${ORG}/members/:userLogin`, `${ORG}/invites`],
  },
  {
    feature: 'Private registry publishing and package hosting',
    prefixes: ['/api/registry', '/api/preview/registry'],
  },
]

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']
const OPERATION_PREFIX = 'notProvided '

/** The routes of this table are explanations, not API: the OpenAPI document leaves them out. */
export function isUnprovidedFeatureRoute(operationId: string): boolean {
  return operationId.startsWith(OPERATION_PREFIX)
}

export function unprovidedFeatureRoutes(app: HttpServer): void {
  for (const { feature, prefixes } of UNPROVIDED_FEATURES) {
    const message = `Not Found: ${feature} is not provided by this server (a self-hosted pulumi-backend)`
    for (const prefix of prefixes) {
      for (const url of [prefix, `${prefix}/*`]) {
        app.route({
          method: METHODS,
          url,
          // Authenticated like the real routes would be: a stranger learns nothing about the server.
          config: { operationId: `${OPERATION_PREFIX}${url}`, auth: 'token', permission: 'authenticated' },
          handler: async () => {
            throw new NotFoundError(message)
          },
        })
      }
    }
  }
}
