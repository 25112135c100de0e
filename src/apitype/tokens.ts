import { Type } from 'typebox'

// Answers of the token and login routes, for the OpenAPI document (src/http/route-docs.ts). Token shapes are
// Pulumi Cloud's (its AccessToken, ListAccessTokensResponse, CreateAccessTokenResponse); the admin and
// /api/auth/token-exchange shapes are the Go server's.

const UnixSeconds = (description: string) =>
  Type.Integer({ description: `${description} (Unix seconds, 0 = none)` })

export const AccessTokenInfo = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    created: Type.String({ description: 'ISO 8601' }),
    lastUsed: UnixSeconds('last use, recorded at most once a minute'),
    expires: UnixSeconds('expiry'),
    admin: Type.Boolean(),
    createdBy: Type.String(),
    type: Type.Union([Type.Literal('personal'), Type.Literal('organization')]),
  },
  { description: 'AccessToken (never the token value)' },
)

export const ListAccessTokensResponse = Type.Object({ tokens: Type.Array(AccessTokenInfo) })

export const CreateAccessTokenResponse = Type.Object(
  { id: Type.String(), tokenValue: Type.String({ description: '`pul-` + 64 hex; shown once' }) },
  { description: 'CreateAccessTokenResponse' },
)

export const ListUserTokensResponse = Type.Object(
  {
    tokens: Type.Array(
      Type.Object({
        id: Type.String(),
        tokenHashPrefix: Type.String({ description: 'first 8 hex characters of the SHA-256' }),
        description: Type.String(),
        createdAt: Type.String({ description: 'ISO 8601' }),
        lastUsedAt: Type.Optional(Type.String()),
        expiresAt: Type.Optional(Type.String()),
        hasRefreshToken: Type.Boolean(),
      }),
    ),
  },
  { description: "A user's tokens, for admins (the Go server's shape; [] rather than null)" },
)

export const RevokeUserTokensResponse = Type.Object({ revoked: Type.Integer() })

export const IdTokenExchangeResponse = Type.Object(
  {
    accessToken: Type.String(),
    userName: Type.String(),
    expiresAt: Type.Integer({ description: 'Unix seconds' }),
  },
  { description: "The Go server's POST /api/auth/token-exchange answer" },
)

export const TokenExchangeGrantResponse = Type.Object(
  {
    access_token: Type.String(),
    issued_token_type: Type.String(),
    token_type: Type.Literal('token'),
    expires_in: Type.Integer(),
    scope: Type.String(),
  },
  { description: 'apitype.TokenExchangeGrantResponse (RFC 8693)' },
)

export const HtmlPage = Type.String({ description: 'HTML page' })
