import { type JWTPayload, SignJWT } from 'jose'
import { CliClient } from './cli-client.js'

/** A client holding an HS256 token signed with `secret` (a server in -auth-mode=jwt), valid for 10 minutes. */
export async function jwtClient(url: string, secret: string, claims: JWTPayload): Promise<CliClient> {
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(secret))
  return new CliClient(url, token)
}
