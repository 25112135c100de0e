import type { Stack } from '../../stacks/stack.js'
import type { Update } from '../../updates/update.js'
import { html } from '../html.js'
import { formatDuration } from '../update-log/engine-event-text.js'
import { layout, type PageFrame, when } from './layout.js'
import { stackPath } from './stack-page.js'

export function historyPage(stack: Stack, updates: readonly Update[], user: PageFrame['user']): string {
  const path = stackPath(stack)
  return layout({
    title: `History of ${stack.project}/${stack.name}`,
    user,
    body: html`<h1>History of ${stack.org}/${stack.project}/${stack.name}</h1>
<nav class="tabs" aria-label="Stack"><a href="${path}">Overview</a><a href="${path}/updates" aria-current="page">History</a></nav>
<div class="scroll"><table>
<thead><tr><th scope="col">Version</th><th scope="col">Kind</th><th scope="col">Result</th><th scope="col">Started</th>
<th scope="col">Duration</th><th scope="col">By</th><th scope="col">Changes</th><th scope="col">Message</th></tr></thead>
<tbody>${updates.map(
      (u) => html`<tr><td><a href="${path}/updates/${u.version}">${u.version}</a></td><td>${u.kind}</td>
<td><span class="badge ${u.status.replace(' ', '-')}">${u.status}</span></td><td>${when(u.startedAt)}</td>
<td>${u.startedAt !== null && u.endedAt !== null ? formatDuration((u.endedAt - u.startedAt) / 1000) : ''}</td>
<td>${u.requestedBy}</td><td>${changes(u.resourceChanges)}</td><td>${u.message}</td></tr>`,
    )}</tbody></table></div>`,
  })
}

function changes(counts: Record<string, number> | null): string {
  if (!counts) return ''
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([op, n]) => `${op} ${n}`)
    .join(', ')
}
