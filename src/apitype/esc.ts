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
const PartialTag = Type.Object({ name: Type.Optional(Type.String()), value: Type.Optional(Type.String()) })
export const UpdateEnvironmentTagRequest = Type.Object({ currentTag: PartialTag, newTag: PartialTag })

export const PatchEnvironmentSettingsRequest = Type.Object({
  deletionProtected: Type.Optional(Type.Boolean()),
})
