import { type Html, html } from '../html.js'

/** A token just created: shown this once (the page after POST-redirect-GET), never again. */
export function newTokenCard(created: { description: string; token: string } | undefined): Html {
  if (!created) return html``
  return html`<section class="card" role="status" aria-labelledby="new-token"><h2 id="new-token">New token “${created.description}”</h2>
<p>Copy it now: it is shown only this once.</p>
<label for="token-value">Token</label><input id="token-value" class="token" readonly value="${created.token}"></section>`
}
