import { SearchQuery } from '../apitype/search.js'
import { OrgPath } from '../apitype/webhooks.js'
import type { HttpServer } from '../http/http-server.js'
import type { SearchService } from './search-service.js'

export function searchRoutes(app: HttpServer, deps: { search: SearchService }): void {
  // v2 is what integrations and the docs use; the CLI's `pulumi org search` still calls v1 (client.go ::
  // GetSearchQueryResults). Both answer the same ResourceSearchResult from the same index.
  for (const [operationId, path] of [
    ['searchResources', 'resourcesv2'],
    ['searchResourcesV1', 'resources'],
  ] as const) {
    app.route({
      method: 'GET',
      url: `/api/orgs/:orgName/search/${path}`,
      config: { operationId, permission: 'org:read', auth: 'token' },
      schema: { params: OrgPath, querystring: SearchQuery },
      handler: async (request) =>
        deps.search.search(
          request.params.orgName,
          request.query,
          `/api/orgs/${encodeURIComponent(request.params.orgName)}/search/${path}`,
        ),
    })
  }
}
