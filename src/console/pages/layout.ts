import { type Html, html } from '../html.js'

export interface PageFrame {
  title: string
  /** Signed-in user, shown with the sign-out form; absent on the sign-in page. */
  user?: { login: string; csrf: string } | undefined
  body: Html
}

export function layout(frame: PageFrame): string {
  return `<!doctype html>${
    html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · pulumi-backend</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
</head>
<body>
<header class="top">
  <a class="brand" href="/stacks">pulumi-backend</a>
  ${
    frame.user
      ? html`<nav aria-label="Main"><a href="/stacks">Stacks</a> <a href="/tokens">Tokens</a> <a href="/admin">Admin</a></nav>
  <form method="post" action="/signout" class="signout">
    <input type="hidden" name="csrf" value="${frame.user.csrf}">
    <span class="who">${frame.user.login}</span> <button type="submit">Sign out</button>
  </form>`
      : ''
  }
</header>
<main id="main">
${frame.body}
</main>
</body>
</html>`.text
  }`
}

export function errorPage(status: number, message: string, user: PageFrame['user']): string {
  return layout({
    title: `Error ${status}`,
    user,
    body: html`<h1>Error ${status}</h1><p role="alert">${message}</p><p><a href="/stacks">Back to stacks</a></p>`,
  })
}

export function when(date: number | null): Html {
  if (date === null) return html`<span class="muted">never</span>`
  const iso = new Date(date).toISOString()
  return html`<time datetime="${iso}">${iso.replace('T', ' ').slice(0, 19)} UTC</time>`
}
