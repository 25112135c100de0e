import { Type } from 'typebox'

// Pulumi's spec, schema Resource: apitype.ResourceV3 with secret values masked as "[secret]".
const Resource = Type.Object(
  {
    urn: Type.String(),
    custom: Type.Boolean(),
    delete: Type.Boolean(),
    dependencies: Type.Array(Type.String()),
    type: Type.String(),
    id: Type.Optional(Type.String()),
    inputs: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    outputs: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    parent: Type.Optional(Type.String()),
    protect: Type.Optional(Type.Boolean()),
    external: Type.Optional(Type.Boolean()),
    initErrors: Type.Optional(Type.Array(Type.String())),
    additionalSecretOutputs: Type.Optional(Type.Array(Type.String())),
    aliases: Type.Optional(Type.Array(Type.String())),
    deletedWith: Type.Optional(Type.String()),
    retainOnDelete: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
)

const ResourceInfo = Type.Object({ resource: Resource })

export const GetStackResourcesResponse = Type.Object({
  region: Type.String({ description: 'always empty: the server does not know regions' }),
  resources: Type.Array(ResourceInfo),
  version: Type.Integer(),
})

export const GetStackResourceResponse = Type.Object({
  region: Type.String(),
  resource: ResourceInfo,
  version: Type.Integer(),
})

export const GetStackResourceCountResponse = Type.Object({
  resourceCount: Type.Integer(),
  version: Type.Integer(),
})
