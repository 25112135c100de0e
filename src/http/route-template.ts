/**
 * Fastify's route pattern `/api/stacks/:orgName/:kind(^(?:a|b)$)` as the OpenAPI-style template
 * `/api/stacks/{orgName}/{kind}`: the path key of the OpenAPI document and the `route` label of the metrics (the
 * Go server labels with the same templates).
 */
export function routeTemplate(url: string): string {
  return url.replace(/:(\w+)(\([^/]*\))?/g, '{$1}')
}
