import { html } from '../html.js'
import { layout } from './layout.js'

export function signinPage(error?: string): string {
  return layout({
    title: 'Sign in',
    body: html`<h1>Sign in</h1>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="/signin" class="card">
  <label for="token">Access token</label>
  <input id="token" name="token" type="password" autocomplete="off" required>
  <p class="hint">The token you give <code>pulumi login</code> (the admin token printed on first start, or a
  token made with <code>pulumi-backend</code>'s token commands).</p>
  <button type="submit">Sign in</button>
</form>`,
  })
}
