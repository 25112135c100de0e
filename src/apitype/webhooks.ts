import { Type } from 'typebox'

// apitype.Webhook (sdk/go/common/apitype/webhooks.go) as the CLI sends it: on PATCH it sends back what it read,
// response-only fields included (hasSecret, secretCiphertext), so unknown fields are tolerated.
export const WebhookRequest = Type.Object(
  {
    organizationName: Type.Optional(Type.String()),
    projectName: Type.Optional(Type.String()),
    stackName: Type.Optional(Type.String()),
    envName: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    displayName: Type.Optional(Type.String()),
    payloadUrl: Type.Optional(Type.String()),
    active: Type.Optional(Type.Boolean()),
    format: Type.Optional(Type.String()),
    filters: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
    groups: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
    secret: Type.Optional(Type.String({ description: 'write-only; `__remove-secret` clears it' })),
  },
  { additionalProperties: true },
)

export const WebhookResponse = Type.Object({
  organizationName: Type.String(),
  projectName: Type.Optional(Type.String()),
  stackName: Type.Optional(Type.String()),
  envName: Type.Optional(Type.String()),
  name: Type.String(),
  displayName: Type.String(),
  payloadUrl: Type.String(),
  active: Type.Boolean(),
  format: Type.String(),
  filters: Type.Array(Type.String()),
  groups: Type.Array(Type.String()),
  hasSecret: Type.Boolean(),
  secretCiphertext: Type.String({ description: 'always empty: the secret never leaves this server' }),
})

export const WebhookList = Type.Array(WebhookResponse)

export const WebhookDelivery = Type.Object({
  id: Type.String({ description: 'the event id (Pulumi-Webhook-ID), which redeliver takes' }),
  kind: Type.String(),
  payload: Type.String(),
  timestamp: Type.Integer(),
  duration: Type.Integer({ description: 'milliseconds' }),
  requestUrl: Type.String(),
  requestHeaders: Type.String(),
  responseCode: Type.Integer({ description: '0 when no HTTP answer came (refused, timeout)' }),
  responseHeaders: Type.String(),
  responseBody: Type.String(),
})

export const WebhookDeliveryList = Type.Array(WebhookDelivery)

export const OrgHookPath = Type.Object({ orgName: Type.String(), hookName: Type.String() })
export const OrgPath = Type.Object({ orgName: Type.String() })
