import { html } from '../html.js'
import { layout } from './layout.js'

export function signinPage(idp: { providerName: string } | undefined, error?: string): string {
  return layout({
    title: 'Sign in',
    body: html`<h1>Sign in</h1>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
${idp ? html`<p><a class="button" href="/login">Sign in with ${idp.providerName}</a></p><p>or paste an access token:</p>` : ''}
<form method="post" action="/signin" class="card">
  <label for="token">Access token</label>
  <input id="token" name="token" type="password" autocomplete="off" required>
  <p class="hint">The token you give <code>pulumi login</code>.</p>
  <button type="submit">Sign in</button>
</form>`,
  })
}
