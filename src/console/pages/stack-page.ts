import type { Stack } from '../../stacks/stack.js'
import type { Update } from '../../updates/update.js'
import { type Html, html, urlPart } from '../html.js'
import { layout, type PageFrame, when } from './layout.js'
import { type ResourceView, resourceDetail, resourceTree } from './resource-tree.js'

// sdk/go/common/resource/properties.go :: SecretSig: a value wrapped in this is a secret.
export const SECRET_SIG = '4dabf18193072939515e22adb298388d'

export interface StackView {
  stack: Stack
  resources: readonly ResourceView[]
  outputs: Record<string, unknown>
  /** Outputs decrypted on request (POST …/reveal); otherwise secrets are shown masked. */
  revealed: boolean
  lastUpdate: Update | undefined
  running: Update | undefined
  filter: string
  selectedUrn: string | undefined
  canWrite: boolean
  now: number
}

export function stackPath(stack: Stack): string {
  return `/${urlPart(stack.org)}/${urlPart(stack.project)}/${urlPart(stack.name)}`
}

export function stackPage(view: StackView, user: NonNullable<PageFrame['user']>): string {
  const { stack } = view
  const path = stackPath(stack)
  const selected = view.selectedUrn && view.resources.find((r) => r.urn === view.selectedUrn)
  return layout({
    title: `${stack.project}/${stack.name}`,
    user,
    body: html`<h1>${stack.org}/${stack.project}/${stack.name}</h1>
<nav class="tabs" aria-label="Stack"><a href="${path}" aria-current="page">Overview</a>
<a href="${path}/updates">History</a>
<a href="${path}/graph">Dependency graph</a>
<a href="${path}/export" download>Export state</a></nav>
${view.running ? lockPanel(view, user.csrf) : ''}
<section aria-labelledby="outputs"><h2 id="outputs">Outputs</h2>
${outputsTable(view.outputs)}
${
  !view.revealed && containsSecret(view.outputs)
    ? html`<form method="post" action="${path}/reveal"><input type="hidden" name="csrf" value="${user.csrf}">
<button type="submit">Reveal secrets</button></form>`
    : ''
}
</section>
<section aria-labelledby="tags"><h2 id="tags">Tags</h2>${tagsSection(view, user.csrf)}</section>
<section aria-labelledby="config"><h2 id="config">Configuration of the last update</h2>
${configTable(view.lastUpdate)}</section>
<section aria-labelledby="resources"><h2 id="resources">Resources (${view.resources.length})</h2>
<form method="get" action="${path}" role="search"><label>Filter <input name="filter" value="${view.filter}" placeholder="type or name"></label>
<button type="submit">Filter</button></form>
${selected ? resourceDetail(selected) : ''}
${resourceTree(view.resources, view.filter, path)}
</section>`,
  })
}

function lockPanel(view: StackView, csrf: string): Html {
  const update = view.running
  if (!update) return html``
  const lapsed = update.leaseExpiresAt !== null && update.leaseExpiresAt < view.now
  return html`<section class="lock" aria-labelledby="lock"><h2 id="lock">Locked by a running ${update.kind}</h2>
<dl><dt>Held by</dt><dd>${update.requestedBy}</dd>
<dt>Since</dt><dd>${when(update.startedAt)}</dd>
<dt>Lease expires</dt><dd>${when(update.leaseExpiresAt)}${lapsed ? html` <strong class="badge failed">expired</strong>` : ''}</dd>
<dt>Update</dt><dd><a href="${stackPath(view.stack)}/updates/${update.version}">version ${update.version} log</a></dd></dl>
${
  view.canWrite
    ? html`<form method="post" action="${stackPath(view.stack)}/cancel" class="confirm">
<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="update" value="${update.id}">
<label><input type="checkbox" name="confirm" value="yes" required> I understand the running update will be stopped</label>
<button type="submit" class="danger">Cancel update</button></form>`
    : ''
}</section>`
}

function tagsSection(view: StackView, csrf: string): Html {
  const tags = Object.entries(view.stack.tags).sort(([a], [b]) => a.localeCompare(b))
  const list = html`<ul class="tags">${tags.map(([k, v]) => html`<li><code>${k}</code> = ${v}</li>`)}</ul>`
  if (!view.canWrite) return list
  const text = tags.map(([k, v]) => `${k}=${v}`).join('\n')
  return html`${list}<form method="post" action="${stackPath(view.stack)}/tags">
<input type="hidden" name="csrf" value="${csrf}">
<label for="tag-text">Tags, one <code>name=value</code> a line</label>
<textarea id="tag-text" name="tags" rows="4">${text}</textarea>
<button type="submit">Save tags</button></form>`
}

function outputsTable(outputs: Record<string, unknown>): Html {
  const entries = Object.entries(outputs)
  if (entries.length === 0) return html`<p class="muted">No outputs.</p>`
  return html`<table><tbody>${entries.map(
    ([k, v]) => html`<tr><th scope="row">${k}</th><td><code>${showValue(v)}</code></td></tr>`,
  )}</tbody></table>`
}

function configTable(update: Update | undefined): Html {
  const entries = Object.entries(update?.config ?? {})
  if (entries.length === 0) return html`<p class="muted">No configuration recorded.</p>`
  return html`<table><tbody>${entries.map(([k, v]) => {
    const value = v as { string?: string; secret?: boolean }
    return html`<tr><th scope="row">${k}</th><td><code>${value.secret ? '[secret]' : (value.string ?? JSON.stringify(v))}</code></td></tr>`
  })}</tbody></table>`
}

/** A property value for display: secrets stay `[secret]` unless already replaced by their plaintext. */
export function showValue(value: unknown): string {
  return JSON.stringify(maskSecrets(value), null, 2) ?? 'null'
}

export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets)
  if (value && typeof value === 'object') {
    if ((value as Record<string, unknown>)[SECRET_SIG] !== undefined) return '[secret]'
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v)]))
  }
  return value
}

export function containsSecret(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(containsSecret)
  if (value && typeof value === 'object') {
    if ((value as Record<string, unknown>)[SECRET_SIG] !== undefined) return true
    return Object.values(value).some(containsSecret)
  }
  return false
}
