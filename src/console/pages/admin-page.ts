import { html, urlPart } from '../html.js'
import { layout, type PageFrame } from './layout.js'

/** Where an administrator picks the organization whose tokens and audit log to see. */
export function adminPage(orgs: readonly string[], user: NonNullable<PageFrame['user']>): string {
  return layout({
    title: 'Administration',
    user,
    body: html`<h1>Administration</h1>
<form method="get" action="/admin" class="filters"><label>Organization <input name="org" required></label>
<button type="submit">Open</button></form>
<ul>${orgs.map(
      (org) => html`<li>${org}: <a href="/admin/${urlPart(org)}/tokens">organization tokens</a>,
<a href="/admin/${urlPart(org)}/audit">audit log</a></li>`,
    )}</ul>`,
  })
}
