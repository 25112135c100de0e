import { Type } from 'typebox'

// Response bodies as this server sends them, for the OpenAPI document (src/http/route-docs.ts). They mirror the
// CLI's apitype structs (sdk/go/common/apitype) with their JSON names; test/api/openapi-responses.test.ts checks
// real answers against them.

const Timestamp = Type.Integer({ description: 'Unix seconds' })
const StringMap = Type.Record(Type.String(), Type.String())

export const ErrorResponse = Type.Object(
  {
    code: Type.Integer({ description: 'The HTTP status code, repeated (the CLI reads it from the body)' }),
    message: Type.String(),
  },
  { description: 'apitype.ErrorResponse' },
)

export const StatusResponse = Type.Object({ status: Type.Literal('ok') })

/** An empty object: the CLI only checks the status. */
export const EmptyResponse = Type.Object({})

export const ServiceUser = Type.Object(
  {
    id: Type.String(),
    githubLogin: Type.String(),
    name: Type.String(),
    email: Type.String(),
    avatarUrl: Type.String(),
    organizations: Type.Array(
      Type.Object({ githubLogin: Type.String(), name: Type.String(), avatarUrl: Type.String() }),
    ),
    identities: Type.Array(Type.String()),
    siteAdmin: Type.Boolean(),
    tokenInfo: Type.Optional(
      Type.Object({ name: Type.String(), organization: Type.Optional(Type.String()) }),
    ),
  },
  { description: 'client.go :: serviceUser' },
)

export const GetDefaultOrganizationResponse = Type.Object(
  { GitHubLogin: Type.String(), Messages: Type.Array(Type.Unknown()) },
  { description: 'apitype.GetDefaultOrganizationResponse (Go field names: the struct has no JSON tags)' },
)

export const CapabilitiesResponse = Type.Object({
  capabilities: Type.Array(
    Type.Object({
      capability: Type.String(),
      version: Type.Optional(Type.Integer()),
      configuration: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  ),
})

const StackSummary = Type.Object({
  id: Type.String(),
  orgName: Type.String(),
  projectName: Type.String(),
  stackName: Type.String(),
  lastUpdate: Type.Optional(Type.Integer({ description: 'Unix seconds; 0 while an update runs' })),
  resourceCount: Type.Optional(Type.Integer()),
})

export const ListStacksResponse = Type.Object({
  stacks: Type.Array(StackSummary),
  continuationToken: Type.Union([Type.String(), Type.Null()]),
})

export const StackResponse = Type.Object({
  id: Type.String(),
  orgName: Type.String(),
  projectName: Type.String(),
  stackName: Type.String(),
  activeUpdate: Type.String(),
  currentOperation: Type.Optional(
    Type.Object({ kind: Type.String(), author: Type.String(), started: Timestamp }),
  ),
  tags: StringMap,
  version: Type.Integer(),
})

export const UntypedDeployment = Type.Object(
  {
    version: Type.Integer(),
    features: Type.Optional(Type.Array(Type.String())),
    deployment: Type.Record(Type.String(), Type.Unknown()),
  },
  { description: 'apitype.UntypedDeployment, stored and served byte for byte', additionalProperties: true },
)

export const ImportStackResponse = Type.Object({ updateId: Type.String() })

export const EncryptValueResponse = Type.Object({ ciphertext: Type.String({ description: 'base64' }) })
export const DecryptValueResponse = Type.Object({ plaintext: Type.String({ description: 'base64' }) })
export const BatchEncryptResponse = Type.Object({
  ciphertexts: Type.Array(Type.String({ description: 'base64' })),
})
export const BatchDecryptResponse = Type.Object({
  plaintexts: Type.Record(Type.String(), Type.String(), {
    description: 'base64 plaintexts keyed by the ciphertext strings sent',
  }),
})

export const UpdateProgramResponse = Type.Object({
  updateID: Type.String(),
  requiredPolicies: Type.Array(Type.Unknown()),
  messages: Type.Array(Type.Unknown()),
  aiSettings: Type.Object({ copilotIsEnabled: Type.Boolean() }),
})

export const StartUpdateResponse = Type.Object({
  version: Type.Integer(),
  token: Type.String(),
  tokenExpiration: Timestamp,
  journalVersion: Type.Integer(),
})

export const UpdateResults = Type.Object({
  status: Type.String(),
  events: Type.Array(Type.Unknown()),
  continuationToken: Type.Union([Type.String(), Type.Null()]),
})

export const RenewUpdateLeaseResponse = Type.Object({ token: Type.String(), tokenExpiration: Timestamp })

export const UpdateEventsResponse = Type.Object({
  events: Type.Array(Type.Record(Type.String(), Type.Unknown(), { description: 'apitype.EngineEvent' })),
  continuationToken: Type.Union([Type.String(), Type.Null()]),
})

const UpdateInfoFields = {
  kind: Type.String(),
  startTime: Timestamp,
  message: Type.String(),
  environment: StringMap,
  config: Type.Record(Type.String(), Type.Unknown()),
  result: Type.String(),
  endTime: Type.Optional(Timestamp),
  version: Type.Integer(),
  resourceChanges: Type.Optional(Type.Record(Type.String(), Type.Integer())),
  resourceCount: Type.Optional(Type.Integer()),
  requestedBy: Type.Optional(Type.Object({ name: Type.String(), githubLogin: Type.String() })),
}

export const UpdateInfo = Type.Object(UpdateInfoFields)

export const GetHistoryResponse = Type.Object({ updates: Type.Array(UpdateInfo) })

/** A bare apitype.UpdateInfo plus the same under `info`, which is where the CLI reads it. */
export const UpdateInfoWithInfo = Type.Object({ ...UpdateInfoFields, info: UpdateInfo })

/** apitype.UpdateSummary */
export const UpdateSummary = Type.Object({
  result: Type.Union(['not-started', 'in-progress', 'succeeded', 'failed'].map((r) => Type.Literal(r))),
  startTime: Timestamp,
  endTime: Timestamp,
  resourceCount: Type.Integer(),
})

// Bodies of the routes that take raw bytes (no validation schema of their own), for the document only.

export const PatchUpdateCheckpointRequest = Type.Object({
  version: Type.Integer(),
  isInvalid: Type.Optional(Type.Boolean()),
  features: Type.Optional(Type.Array(Type.String())),
  deployment: Type.Record(Type.String(), Type.Unknown()),
})

export const PatchUpdateVerbatimCheckpointRequest = Type.Object({
  version: Type.Integer(),
  untypedDeployment: Type.Record(Type.String(), Type.Unknown(), {
    description: 'apitype.UntypedDeployment; its exact bytes are kept',
  }),
  sequenceNumber: Type.Integer(),
})

export const EngineEventBatch = Type.Object({
  events: Type.Array(Type.Record(Type.String(), Type.Unknown(), { description: 'apitype.EngineEvent' })),
})
