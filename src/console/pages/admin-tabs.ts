import { type Html, html, urlPart } from '../html.js'

/** The organization admin pages' tabs. */
export function adminTabs(org: string, current: 'tokens' | 'audit'): Html {
  const base = `/admin/${urlPart(org)}`
  const tab = (name: typeof current, label: string) =>
    html`<a href="${base}/${name}"${current === name ? html` aria-current="page"` : ''}>${label}</a>`
  return html`<nav class="tabs" aria-label="Administration">${tab('tokens', 'Organization tokens')}${tab('audit', 'Audit log')}</nav>`
}
