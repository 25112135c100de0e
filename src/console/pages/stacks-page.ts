import type { Stack } from '../../stacks/stack.js'
import type { Update } from '../../updates/update.js'
import { html, urlPart } from '../html.js'
import { layout, type PageFrame, when } from './layout.js'

export interface StackRow {
  stack: Stack
  lastUpdate: Update | undefined
}

export interface StacksQuery {
  q: string
  org: string
  project: string
  tag: string
}

export function stacksPage(rows: readonly StackRow[], query: StacksQuery, user: PageFrame['user']): string {
  return layout({
    title: 'Stacks',
    user,
    body: html`<h1>Stacks</h1>
<form method="get" action="/stacks" class="filters" role="search">
  <label>Search <input name="q" value="${query.q}" placeholder="name"></label>
  <label>Organization <input name="org" value="${query.org}"></label>
  <label>Project <input name="project" value="${query.project}"></label>
  <label>Tag <input name="tag" value="${query.tag}" placeholder="name or name=value"></label>
  <button type="submit">Filter</button>
</form>
<p class="muted">${rows.length} stacks, most recently updated first.</p>
<div class="scroll"><table>
<thead><tr><th scope="col">Stack</th><th scope="col">Resources</th><th scope="col">Last update</th><th scope="col">By</th><th scope="col">Result</th></tr></thead>
<tbody>
${rows.map(({ stack, lastUpdate }) => {
  const path = `/${urlPart(stack.org)}/${urlPart(stack.project)}/${urlPart(stack.name)}`
  return html`<tr>
<td><a href="${path}">${stack.org}/${stack.project}/${stack.name}</a>${stack.lockedByUpdate ? html` <span class="badge running">update running</span>` : ''}</td>
<td class="num">${stack.resourceCount}</td>
<td>${when(stack.lastUpdateAt)}</td>
<td>${lastUpdate?.requestedBy ?? ''}</td>
<td>${lastUpdate ? html`<span class="badge ${lastUpdate.status.replace(' ', '-')}">${lastUpdate.status}</span>` : ''}</td>
</tr>`
})}
</tbody></table></div>`,
  })
}
