// Self-contained HTML pages of the login flows: inline CSS, no external resources, readable without JavaScript.

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1f24}
main{max-width:40rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002}
h1{font-size:1.5rem;margin-top:0}a.button,button{display:inline-block;padding:.6rem 1.2rem;border-radius:6px;
border:0;background:#4d5bd9;color:#fff;text-decoration:none;font-size:1rem;cursor:pointer}
a.button:focus,button:focus{outline:3px solid #1b1f24;outline-offset:2px}
pre{background:#f0f1f4;padding:.75rem;border-radius:6px;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
.error{color:#a4161a}`

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function page(title: string, body: string, script = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title>
<style>${STYLE}</style></head><body><main>${body}</main>${script ? `<script>${script}</script>` : ''}</body></html>`
}

export function loginPage(providerName: string, authorizationUrl: string): string {
  return page(
    'Sign in — Pulumi backend',
    `<h1>Sign in</h1><p>Sign in to use this Pulumi backend from the CLI.</p>
<p><a class="button" href="${escapeHtml(authorizationUrl)}">Sign in with ${escapeHtml(providerName)}</a></p>`,
  )
}

export function tokenPage(user: string, token: string, expiresAt: number, publicUrl: string): string {
  return page(
    'Signed in — Pulumi backend',
    `<h1>Signed in as ${escapeHtml(user)}</h1>
<p>Your access token (valid until <time datetime="${new Date(expiresAt).toISOString()}">${new Date(expiresAt).toUTCString()}</time>):</p>
<pre id="token" aria-label="access token">${escapeHtml(token)}</pre>
<p><button type="button" id="copy">Copy token</button> <span id="copied" role="status"></span></p>
<p>Then, in a terminal:</p>
<pre>export PULUMI_ACCESS_TOKEN=${escapeHtml(token)}
pulumi login ${escapeHtml(publicUrl)}</pre>`,
    `document.getElementById('copy').addEventListener('click',function(){navigator.clipboard.writeText(
document.getElementById('token').textContent).then(function(){document.getElementById('copied').textContent='Copied.'})})`,
  )
}

export function welcomeCliPage(): string {
  return page(
    'Login complete — Pulumi backend',
    '<h1>Login complete</h1><p>The Pulumi CLI is now signed in. You can close this tab.</p>',
  )
}

export function errorPage(message: string): string {
  return page(
    'Sign-in failed — Pulumi backend',
    `<h1>Sign-in failed</h1><p class="error" role="alert">${escapeHtml(message)}</p>
<p><a href="/login">Try again</a></p>`,
  )
}
