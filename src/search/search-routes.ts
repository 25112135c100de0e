import { SearchQuery } from '../apitype/search.js'
import { OrgPath } from '../apitype/webhooks.js'
import type { HttpServer } from '../http/http-server.js'
import type { SearchService } from './search-service.js'

export function searchRoutes(app: HttpServer, deps: { search: SearchService }): void {
  app.route({
    method: 'GET',
    url: '/api/orgs/:orgName/search/resourcesv2',
    // client.go :: GetSearchQueryResults (`pulumi org search`) and SearchInsightsResources.
    config: { operationId: 'searchResources', permission: 'org:read', auth: 'token' },
    schema: { params: OrgPath, querystring: SearchQuery },
    handler: async (request) =>
      deps.search.search(
        request.params.orgName,
        request.query,
        `/api/orgs/${encodeURIComponent(request.params.orgName)}/search/resourcesv2`,
      ),
  })
}
