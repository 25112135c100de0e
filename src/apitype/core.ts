// Deployment (state) shapes, mirroring pulumi sdk/go/common/apitype/core.go and resources. The server treats
// deployments as opaque JSON: these types name only the fields it reads or rewrites; every other key is kept.

/** apitype.UntypedDeployment: the envelope of export, import, create-stack state and checkpoints. */
export interface UntypedDeployment {
  version?: number
  features?: string[]
  deployment?: DeploymentV3
  [key: string]: unknown
}

/** apitype.DeploymentV3 (schema versions 3 and 4). */
export interface DeploymentV3 {
  manifest?: ManifestV1
  secrets_providers?: SecretsProvidersV1
  resources?: ResourceV3[]
  pending_operations?: OperationV2[]
  metadata?: Record<string, unknown>
  snippets?: unknown[]
  extensions?: Record<string, unknown>
  [key: string]: unknown
}

export interface ManifestV1 {
  time: string
  magic: string
  version: string
  plugins?: unknown[]
  [key: string]: unknown
}

export interface SecretsProvidersV1 {
  type: string
  state?: unknown
  [key: string]: unknown
}

/**
 * apitype.ResourceV3: only the reference-bearing fields are typed; the rest stays opaque. Lists may be null in
 * real exports (Go writes nil slices inside maps as null), so readers must treat null as empty.
 */
export interface ResourceV3 {
  urn: string
  custom: boolean
  type: string
  delete?: boolean
  id?: string
  parent?: string
  provider?: string
  dependencies?: string[] | null
  propertyDependencies?: Record<string, string[] | null> | null
  deletedWith?: string
  replaceWith?: string[] | null
  aliases?: string[] | null
  viewOf?: string
  pendingReplacement?: boolean
  refreshBeforeUpdate?: boolean
  resourceHooks?: Record<string, unknown>
  taint?: boolean
  extensionRef?: string
  snippetID?: string
  inputs?: Record<string, unknown>
  outputs?: Record<string, unknown>
  [key: string]: unknown
}

/** apitype.OperationV2: a pending operation. */
export interface OperationV2 {
  resource: ResourceV3
  type: string
  [key: string]: unknown
}
