import type { AccessToken } from '../../identity/access-token-store.js'
import { html, urlPart } from '../html.js'
import { layout, type PageFrame, when } from './layout.js'
import { newTokenCard } from './new-token-card.js'

export function tokensPage(
  tokens: readonly AccessToken[],
  created: { description: string; token: string } | undefined,
  user: NonNullable<PageFrame['user']>,
): string {
  return layout({
    title: 'Access tokens',
    user,
    body: html`<h1>Your access tokens</h1>
${newTokenCard(created)}
<form method="post" action="/tokens" class="filters">
<input type="hidden" name="csrf" value="${user.csrf}">
<label>Description <input name="description" required maxlength="200"></label>
<label>Expires after (days, 0 = never) <input name="days" type="number" min="0" value="0"></label>
<button type="submit">Create token</button></form>
<div class="scroll"><table><thead><tr><th scope="col">Description</th><th scope="col">Created</th><th scope="col">Last used</th>
<th scope="col">Expires</th><th scope="col"><span class="visually-hidden">Revoke</span></th></tr></thead>
<tbody>${tokens.map(
      (
        t,
      ) => html`<tr><td>${t.description || t.name}</td><td>${when(t.createdAt)}</td><td>${when(t.lastUsedAt)}</td>
<td>${t.expiresAt === null ? 'never' : when(t.expiresAt)}</td>
<td><form method="post" action="/tokens/${urlPart(t.id)}/revoke"><input type="hidden" name="csrf" value="${user.csrf}">
<button type="submit" class="danger" aria-label="Revoke ${t.description || t.name}">Revoke</button></form></td></tr>`,
    )}</tbody></table></div>`,
  })
}
