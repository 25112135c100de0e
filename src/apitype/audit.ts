import { type Static, Type } from 'typebox'

// Pulumi Cloud's audit log shapes (AuditLogEvent, ResponseAuditLogs in its OpenAPI spec).
export const AuditLogUser = Type.Object({
  name: Type.String(),
  githubLogin: Type.String(),
  avatarUrl: Type.String(),
})

export const AuditLogEvent = Type.Object({
  timestamp: Type.Integer({ description: 'Unix seconds' }),
  sourceIP: Type.String(),
  event: Type.String({
    description: "The route's operationId, or a security event (loginSuccess, rbacReload, ...)",
  }),
  description: Type.String(),
  user: AuditLogUser,
  tokenName: Type.Optional(Type.String()),
  authFailure: Type.Optional(Type.Boolean()),
  reqOrgAdmin: Type.Optional(Type.Boolean()),
  reqStackAdmin: Type.Optional(Type.Boolean()),
})
export type AuditLogEvent = Static<typeof AuditLogEvent>

export const ResponseAuditLogs = Type.Object({
  auditLogEvents: Type.Array(AuditLogEvent),
  continuationToken: Type.Optional(Type.String()),
})
export type ResponseAuditLogs = Static<typeof ResponseAuditLogs>
