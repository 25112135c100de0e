import { readFileSync } from 'node:fs'
import { importPKCS8, SignJWT } from 'jose'
import type { Clock } from '../lib/clock.js'

/** Google's endpoints; replaceable so tests can stand a local server in for them. */
export interface GoogleEndpoints {
  /** Google's OpenID issuer (ID tokens, login). */
  accountsIssuer: string
  directory: string
  iamCredentials: string
  oauthToken: string
  /** GCE/GKE/Cloud Run metadata server: the running workload's own credentials (ADC). */
  metadata: string
}

export const GOOGLE_ENDPOINTS: GoogleEndpoints = {
  accountsIssuer: 'https://accounts.google.com',
  directory: 'https://admin.googleapis.com',
  iamCredentials: 'https://iamcredentials.googleapis.com',
  oauthToken: 'https://oauth2.googleapis.com/token',
  metadata: `http://${process.env.GCE_METADATA_HOST ?? 'metadata.google.internal'}`,
}

const DIRECTORY_SCOPE = 'https://www.googleapis.com/auth/admin.directory.group.readonly'

/**
 * How the server reaches the Directory API (Go server §5.9, inferred from the flags):
 * - admin-role: no admin to impersonate; the service account holds the Workspace "Groups Reader" role and mints its
 *   own token through IAM Credentials (its e-mail from -google-sa-email or the metadata server);
 * - dwd-keyfile / dwd-keyless / dwd-adc: domain-wide delegation as -google-admin-email, with the JWT signed by the
 *   key file, by IAM Credentials signJwt for -google-sa-email, or for the metadata server's service account.
 */
export type WorkspaceAccess =
  | { mode: 'admin-role'; saEmail: string | undefined; domain: string | undefined }
  | { mode: 'dwd-keyfile'; keyFile: string; subject: string }
  | { mode: 'dwd-keyless'; saEmail: string; subject: string }
  | { mode: 'dwd-adc'; subject: string }

/** The narrow interface the rest of the server sees. */
export interface GroupsResolver {
  groupsOf(email: string): Promise<string[]>
}

/** Lists a user's Workspace groups via the Admin SDK Directory API (groups.list by userKey), optionally nested. */
export class GoogleDirectoryGroups implements GroupsResolver {
  #token: { value: string; expiresAt: number } | undefined

  constructor(
    private readonly access: WorkspaceAccess,
    private readonly options: { transitive: boolean; endpoints: GoogleEndpoints; clock: Clock },
  ) {}

  async groupsOf(email: string): Promise<string[]> {
    const direct = await this.#listGroups(email)
    if (!this.options.transitive) return direct
    // Groups can contain groups, and membership graphs can have cycles: visit each group once.
    const seen = new Set(direct)
    const queue = [...direct]
    while (queue.length > 0) {
      const group = queue.shift() as string
      for (const parent of await this.#listGroups(group)) {
        if (!seen.has(parent)) {
          seen.add(parent)
          queue.push(parent)
        }
      }
    }
    return [...seen]
  }

  async #listGroups(userKey: string): Promise<string[]> {
    const groups: string[] = []
    let pageToken: string | undefined
    do {
      const url = new URL('/admin/directory/v1/groups', this.options.endpoints.directory)
      url.searchParams.set('userKey', userKey)
      url.searchParams.set('maxResults', '200')
      if (this.access.mode === 'admin-role' && this.access.domain)
        url.searchParams.set('domain', this.access.domain)
      if (pageToken) url.searchParams.set('pageToken', pageToken)
      const page = await getJson<{ groups?: { email?: string }[]; nextPageToken?: string }>(url, {
        authorization: `Bearer ${await this.#accessToken()}`,
      })
      for (const group of page.groups ?? []) if (group.email) groups.push(group.email.toLowerCase())
      pageToken = page.nextPageToken
    } while (pageToken)
    return groups
  }

  async #accessToken(): Promise<string> {
    const now = this.options.clock.now()
    if (this.#token && this.#token.expiresAt - 60_000 > now) return this.#token.value
    const minted = await this.#mintToken()
    this.#token = { value: minted.token, expiresAt: now + minted.expiresInMs }
    return minted.token
  }

  async #mintToken(): Promise<{ token: string; expiresInMs: number }> {
    const { endpoints } = this.options
    switch (this.access.mode) {
      case 'admin-role': {
        const saEmail = this.access.saEmail ?? (await this.#metadataEmail())
        const response = await postJson<{ accessToken: string }>(
          new URL(
            `/v1/projects/-/serviceAccounts/${encodeURIComponent(saEmail)}:generateAccessToken`,
            endpoints.iamCredentials,
          ),
          { scope: [DIRECTORY_SCOPE], lifetime: '3600s' },
          { authorization: `Bearer ${await this.#callerToken()}` },
        )
        return { token: response.accessToken, expiresInMs: 3_600_000 }
      }
      case 'dwd-keyfile': {
        const key = JSON.parse(readFileSync(this.access.keyFile, 'utf8')) as {
          client_email: string
          private_key: string
          token_uri?: string
        }
        const tokenUri = key.token_uri ?? endpoints.oauthToken
        const assertion = await new SignJWT(this.#delegationClaims(key.client_email, tokenUri))
          .setProtectedHeader({ alg: 'RS256' })
          .sign(await importPKCS8(key.private_key, 'RS256'))
        return this.#exchangeAssertion(tokenUri, assertion)
      }
      case 'dwd-keyless':
      case 'dwd-adc': {
        const saEmail = this.access.mode === 'dwd-keyless' ? this.access.saEmail : await this.#metadataEmail()
        const signed = await postJson<{ signedJwt: string }>(
          new URL(
            `/v1/projects/-/serviceAccounts/${encodeURIComponent(saEmail)}:signJwt`,
            endpoints.iamCredentials,
          ),
          { payload: JSON.stringify(this.#delegationClaims(saEmail, endpoints.oauthToken)) },
          { authorization: `Bearer ${await this.#callerToken()}` },
        )
        return this.#exchangeAssertion(endpoints.oauthToken, signed.signedJwt)
      }
    }
  }

  #delegationClaims(saEmail: string, audience: string): Record<string, unknown> {
    const iat = Math.floor(this.options.clock.now() / 1000)
    const subject = this.access.mode === 'admin-role' ? undefined : this.access.subject
    return { iss: saEmail, sub: subject, scope: DIRECTORY_SCOPE, aud: audience, iat, exp: iat + 3600 }
  }

  async #exchangeAssertion(
    tokenUri: string,
    assertion: string,
  ): Promise<{ token: string; expiresInMs: number }> {
    const response = await fetch(tokenUri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
      signal: AbortSignal.timeout(10_000),
    })
    if (!response.ok) throw new Error(`Google token endpoint answered ${response.status}`)
    const body = (await response.json()) as { access_token: string; expires_in: number }
    return { token: body.access_token, expiresInMs: body.expires_in * 1000 }
  }

  async #callerToken(): Promise<string> {
    const body = await getJson<{ access_token: string }>(
      new URL('/computeMetadata/v1/instance/service-accounts/default/token', this.options.endpoints.metadata),
      { 'metadata-flavor': 'Google' },
    )
    return body.access_token
  }

  async #metadataEmail(): Promise<string> {
    const response = await fetch(
      new URL('/computeMetadata/v1/instance/service-accounts/default/email', this.options.endpoints.metadata),
      { headers: { 'metadata-flavor': 'Google' }, signal: AbortSignal.timeout(10_000) },
    )
    if (!response.ok) throw new Error(`metadata server answered ${response.status}`)
    return (await response.text()).trim()
  }
}

async function getJson<T>(url: URL, headers: Record<string, string>): Promise<T> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) })
  if (!response.ok) throw new Error(`${url.host} answered ${response.status}`)
  return (await response.json()) as T
}

async function postJson<T>(url: URL, body: unknown, headers: Record<string, string>): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  })
  if (!response.ok) throw new Error(`${url.host} answered ${response.status}`)
  return (await response.json()) as T
}

/**
 * Memberships cached per user for -groups-cache-ttl, with one lookup in flight per user however many requests
 * wait for it (single flight). A failed lookup is not cached.
 */
export class GroupsCache implements GroupsResolver {
  readonly #entries = new Map<string, { at: number; groups: Promise<string[]> }>()

  constructor(
    private readonly inner: GroupsResolver,
    private readonly options: { ttlMs: number; clock: Clock },
  ) {}

  groupsOf(email: string): Promise<string[]> {
    const key = email.toLowerCase()
    const now = this.options.clock.now()
    const cached = this.#entries.get(key)
    if (cached && now - cached.at < this.options.ttlMs) return cached.groups
    const groups = this.inner.groupsOf(key)
    this.#entries.set(key, { at: now, groups })
    groups.catch(() => {
      if (this.#entries.get(key)?.groups === groups) this.#entries.delete(key)
    })
    return groups
  }

  invalidate(email: string | undefined): void {
    if (email === undefined) this.#entries.clear()
    else this.#entries.delete(email.toLowerCase())
  }
}

/** Which access mode the google-* flags select (Go server §5.9); undefined = groups are not resolved. */
export function workspaceAccessFor(auth: {
  saKey: string | undefined
  saEmail: string | undefined
  adminEmail: string | undefined
  allowedDomains: string[]
}): WorkspaceAccess | undefined {
  if (auth.adminEmail === undefined) {
    if (auth.saEmail === undefined && auth.saKey === undefined) return undefined
    return { mode: 'admin-role', saEmail: auth.saEmail, domain: auth.allowedDomains[0] }
  }
  if (auth.saKey !== undefined) return { mode: 'dwd-keyfile', keyFile: auth.saKey, subject: auth.adminEmail }
  if (auth.saEmail !== undefined)
    return { mode: 'dwd-keyless', saEmail: auth.saEmail, subject: auth.adminEmail }
  return { mode: 'dwd-adc', subject: auth.adminEmail }
}
