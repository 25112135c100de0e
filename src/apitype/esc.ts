import { Type } from 'typebox'

// Wire shapes of the ESC client (pulumi/esc cmd/esc/cli/client/apitype.go), with its exact JSON names.

export const OrgPath = Type.Object({ orgName: Type.String() })
export const EnvironmentPath = Type.Object({
  orgName: Type.String(),
  projectName: Type.String(),
  envName: Type.String(),
})
export const VersionPath = Type.Object({
  orgName: Type.String(),
  projectName: Type.String(),
  envName: Type.String(),
  version: Type.String(),
})
export const TagPath = Type.Object({
  orgName: Type.String(),
  projectName: Type.String(),
  envName: Type.String(),
  tagName: Type.String(),
})
export const SessionPath = Type.Object({
  orgName: Type.String(),
  projectName: Type.String(),
  envName: Type.String(),
  openSessionID: Type.String(),
})
export const AnonymousSessionPath = Type.Object({ orgName: Type.String(), openSessionID: Type.String() })

export const ContinuationQuery = Type.Object({ continuationToken: Type.Optional(Type.String()) })
export const DurationQuery = Type.Object({
  duration: Type.Optional(Type.String()),
  environmentOverrides: Type.Optional(Type.String()),
})
export const PropertyQuery = Type.Object({ property: Type.Optional(Type.String()) })
export const ShowSecretsQuery = Type.Object({ showSecrets: Type.Optional(Type.String()) })
export const PageQuery = Type.Object({
  after: Type.Optional(Type.String()),
  count: Type.Optional(Type.String()),
})
export const RevisionsQuery = Type.Object({
  before: Type.Optional(Type.String()),
  count: Type.Optional(Type.String()),
})

export const CreateEnvironmentRequest = Type.Object({
  project: Type.Optional(Type.String()),
  name: Type.String({ minLength: 1 }),
})

export const CloneEnvironmentRequest = Type.Object({
  project: Type.Optional(Type.String()),
  name: Type.String({ minLength: 1 }),
  version: Type.Optional(Type.Integer({ minimum: 0 })),
  preserveHistory: Type.Optional(Type.Boolean()),
  preserveAccess: Type.Optional(Type.Boolean()),
  preserveEnvironmentTags: Type.Optional(Type.Boolean()),
  preserveRevisionTags: Type.Optional(Type.Boolean()),
})

export const RetractRevisionRequest = Type.Object({
  replacement: Type.Optional(Type.Integer({ minimum: 1 })),
  reason: Type.Optional(Type.String()),
})

export const CreateRevisionTagRequest = Type.Object({
  name: Type.String({ minLength: 1 }),
  revision: Type.Optional(Type.Integer({ minimum: 1 })),
})
export const UpdateRevisionTagRequest = Type.Object({ revision: Type.Optional(Type.Integer({ minimum: 1 })) })

export const TagRequest = Type.Object({ name: Type.String({ minLength: 1 }), value: Type.String() })
// The ESC client names the current tag in the path and leaves empty what it does not change (client.go).
export const UpdateEnvironmentTagRequest = Type.Object({
  currentTag: Type.Object({ value: Type.Optional(Type.String()) }),
  newTag: Type.Object({ name: Type.Optional(Type.String()), value: Type.Optional(Type.String()) }),
})

export const PatchEnvironmentSettingsRequest = Type.Object({
  deletionProtected: Type.Optional(Type.Boolean()),
})

// --- answers (documented in src/esc/esc-route-docs.ts; test/esc/route-docs.test.ts checks real answers) ---

const Pos = Type.Object({ line: Type.Integer(), column: Type.Integer(), byte: Type.Integer() })
export const EscRange = Type.Object({
  environment: Type.Optional(Type.String()),
  begin: Pos,
  end: Pos,
})

export const EnvironmentDiagnostic = Type.Object({
  range: Type.Optional(EscRange),
  summary: Type.String(),
  path: Type.Optional(Type.String()),
  severity: Type.Optional(Type.Literal('warning')),
})

export const EnvironmentErrorResponse = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  diagnostics: Type.Array(EnvironmentDiagnostic),
})

export const OrgEnvironment = Type.Object({
  id: Type.String(),
  organization: Type.String(),
  project: Type.String(),
  name: Type.String(),
  created: Type.String(),
  modified: Type.String(),
  ownedBy: Type.Object({ name: Type.String(), githubLogin: Type.String(), avatarUrl: Type.String() }),
  tags: Type.Record(Type.String(), Type.String()),
  settings: Type.Object({ deletionProtected: Type.Boolean() }),
  referrerMetadata: Type.Object({
    environmentReferrerCount: Type.Integer(),
    insightsAccountReferrerCount: Type.Integer(),
    stackReferrerCount: Type.Integer(),
  }),
})
export const ListEnvironmentsResponse = Type.Object({
  environments: Type.Array(OrgEnvironment),
  nextToken: Type.Optional(Type.String()),
})

export const EscEmptyResponse = Type.Object({})

/** esc.Value: `value` is any JSON whose leaves are esc.Values; traces name where it was defined. */
export const EscValueSchema = Type.Object(
  {
    value: Type.Optional(Type.Unknown()),
    secret: Type.Optional(Type.Boolean()),
    unknown: Type.Optional(Type.Boolean()),
    trace: Type.Optional(Type.Object({ def: Type.Optional(EscRange), base: Type.Optional(Type.Unknown()) })),
  },
  { additionalProperties: false },
)

/** esc.Environment (check answers also carry diagnostics). */
export const EscEnvironmentResponse = Type.Object({
  exprs: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  properties: Type.Optional(Type.Record(Type.String(), EscValueSchema)),
  schema: Type.Optional(Type.Unknown()),
  executionContext: Type.Optional(
    Type.Object({ properties: Type.Record(Type.String(), EscValueSchema), schema: Type.Unknown() }),
  ),
  diagnostics: Type.Optional(Type.Array(EnvironmentDiagnostic)),
})

export const OpenSessionValues = Type.Object({
  properties: Type.Record(Type.String(), EscValueSchema),
  schema: Type.Unknown(),
})
export const ReadOpenEnvironmentResponse = Type.Union([OpenSessionValues, EscValueSchema])

export const UpdateEnvironmentResponse = Type.Object({ diagnostics: Type.Array(EnvironmentDiagnostic) })
export const OpenEnvironmentResponse = Type.Object({
  id: Type.String(),
  diagnostics: Type.Array(EnvironmentDiagnostic),
})

export const EnvironmentRevision = Type.Object({
  number: Type.Integer(),
  created: Type.String(),
  creatorLogin: Type.String(),
  creatorName: Type.String(),
  tags: Type.Array(Type.String()),
  retracted: Type.Optional(
    Type.Object({
      replacement: Type.Integer(),
      at: Type.String(),
      byLogin: Type.String(),
      byName: Type.String(),
      reason: Type.String(),
    }),
  ),
})
export const ListEnvironmentRevisionsResponse = Type.Array(EnvironmentRevision)

export const EnvironmentRevisionTag = Type.Object({
  name: Type.String(),
  revision: Type.Integer(),
  created: Type.String(),
  modified: Type.String(),
  editorLogin: Type.String(),
  editorName: Type.String(),
})
export const ListEnvironmentRevisionTagsResponse = Type.Object({
  tags: Type.Array(EnvironmentRevisionTag),
  nextToken: Type.String(),
})

export const EnvironmentTag = Type.Object({
  id: Type.String(),
  name: Type.String(),
  value: Type.String(),
  created: Type.String(),
  modified: Type.String(),
  editorLogin: Type.String(),
  editorName: Type.String(),
})
export const ListEnvironmentTagsResponse = Type.Object({
  tags: Type.Record(Type.String(), EnvironmentTag),
  nextToken: Type.String(),
})

export const EnvironmentSettings = Type.Object({ deletionProtected: Type.Boolean() })

/** Secret rotation: `paths` (Cloud's spec) or `Paths` (the ESC client's untagged Go field); none = all. */
export const RotateEnvironmentRequest = Type.Optional(
  Type.Object({
    paths: Type.Optional(Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 1000 })),
    Paths: Type.Optional(
      Type.Union([Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 1000 }), Type.Null()]),
    ),
  }),
)

const SecretRotation = Type.Object({
  id: Type.String(),
  environmentPath: Type.String(),
  status: Type.String(),
  errorMessage: Type.Optional(Type.String()),
})

export const RotateEnvironmentResponse = Type.Object({
  id: Type.String(),
  secretRotationEvent: Type.Object({
    id: Type.String(),
    environmentId: Type.String(),
    created: Type.String(),
    preRotationRevision: Type.Integer(),
    postRotationRevision: Type.Optional(Type.Integer()),
    userID: Type.String(),
    completed: Type.Optional(Type.String()),
    status: Type.String(),
    errorMessage: Type.Optional(Type.String()),
    rotations: Type.Array(SecretRotation),
  }),
})

export const ListEnvironmentReferrersResponse = Type.Object({
  referrers: Type.Record(
    Type.String(),
    Type.Array(
      // Pulumi Cloud's EnvironmentReferrer: an importing environment or a stack whose latest update imported it.
      Type.Object({
        environment: Type.Optional(
          Type.Object({ project: Type.String(), name: Type.String(), revision: Type.Integer() }),
        ),
        stack: Type.Optional(
          Type.Object({ project: Type.String(), stack: Type.String(), version: Type.Integer() }),
        ),
      }),
    ),
  ),
})

/** A definition: YAML text (application/x-yaml), with ETag and Pulumi-ESC-Revision headers. */
export const EnvironmentDefinition = Type.String({ description: 'the definition as YAML' })
