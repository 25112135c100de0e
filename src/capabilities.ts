import type { ApiCapability } from './apitype/user.js'

/**
 * What /api/capabilities advertises: only what this server implements (sdk/go/common/apitype/service.go).
 * One malformed entry makes the CLI drop all of them, so each configuration is exactly the documented shape.
 * Journaling is not a capability: it is negotiated per update through start-update's journalVersion.
 */
export function capabilities(options: { deltaCutoffBytes: number }): ApiCapability[] {
  return [
    // Verbatim + delta checkpoints; v2 requires version 2 and a cutoff configuration.
    {
      capability: 'delta-checkpoint-uploads-v2',
      version: 2,
      configuration: { checkpointCutoffSizeBytes: options.deltaCutoffBytes },
    },
    { capability: 'batch-encrypt' },
    // Without this the CLI downgrades every upload to schema v3 and drops its features
    // (backend.go :: downgradeDeploymentVersionIfNeeded); we store deployments opaquely, so v4 is safe.
    { capability: 'deployment-schema-version', version: 1, configuration: { version: 4 } },
  ]
}
