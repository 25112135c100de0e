import type { AccessToken } from '../../identity/access-token-store.js'
import { html, urlPart } from '../html.js'
import { adminTabs } from './admin-tabs.js'
import { layout, type PageFrame, when } from './layout.js'
import { newTokenCard } from './new-token-card.js'

/** An organization's tokens (admins): list, create (shown once), revoke. */
export function orgTokensPage(
  org: string,
  tokens: readonly AccessToken[],
  created: { description: string; token: string } | undefined,
  user: NonNullable<PageFrame['user']>,
): string {
  const base = `/admin/${urlPart(org)}`
  return layout({
    title: `Tokens of ${org}`,
    user,
    body: html`<h1>Organization tokens of ${org}</h1>
${adminTabs(org, 'tokens')}
${newTokenCard(created)}
<form method="post" action="${base}/tokens" class="filters">
<input type="hidden" name="csrf" value="${user.csrf}">
<label>Name <input name="name" required maxlength="64" pattern="[A-Za-z0-9][A-Za-z0-9._\\-]*"></label>
<label>Description <input name="description" required maxlength="200"></label>
<label>Expires after (days, 0 = never) <input name="days" type="number" min="0" value="0"></label>
<button type="submit">Create organization token</button></form>
<div class="scroll"><table><thead><tr><th scope="col">Name</th><th scope="col">Description</th><th scope="col">Created by</th>
<th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col"><span class="visually-hidden">Revoke</span></th></tr></thead>
<tbody>${tokens.map(
      (
        t,
      ) => html`<tr><td>${t.name}</td><td>${t.description}</td><td>${t.createdBy ?? ''}</td><td>${when(t.createdAt)}</td>
<td>${when(t.lastUsedAt)}</td><td>${t.expiresAt === null ? 'never' : when(t.expiresAt)}</td>
<td><form method="post" action="${base}/tokens/${urlPart(t.id)}/revoke"><input type="hidden" name="csrf" value="${user.csrf}">
<button type="submit" class="danger" aria-label="Revoke ${t.name}">Revoke</button></form></td></tr>`,
    )}</tbody></table></div>`,
  })
}
