import type { Stack } from '../../stacks/stack.js'
import type { Update } from '../../updates/update.js'
import { html } from '../html.js'
import { formatDuration } from '../update-log/engine-event-text.js'
import { layout, type PageFrame, when } from './layout.js'
import { stackPath } from './stack-page.js'
import { lineChart } from './svg-chart.js'

export function historyPage(stack: Stack, updates: readonly Update[], user: PageFrame['user']): string {
  const path = stackPath(stack)
  return layout({
    title: `History of ${stack.project}/${stack.name}`,
    user,
    body: html`<h1>History of ${stack.org}/${stack.project}/${stack.name}</h1>
<nav class="tabs" aria-label="Stack"><a href="${path}">Overview</a><a href="${path}/updates" aria-current="page">History</a>
<a href="${path}/graph">Dependency graph</a></nav>
<div class="charts">${charts(updates)}</div>
<form method="get" action="${path}/diff" class="filters" aria-label="Compare versions">
<label>From version <input name="from" type="number" min="0" max="${stack.version}" value="${Math.max(0, stack.version - 1)}"></label>
<label>To version <input name="to" type="number" min="0" max="${stack.version}" value="${stack.version}"></label>
<button type="submit">Compare versions</button></form>
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

// Oldest first, finished non-preview updates only: what a person compares over time.
function charts(updates: readonly Update[]) {
  const done = updates.filter((u) => u.startedAt !== null && u.endedAt !== null).reverse()
  return [
    lineChart(
      'Update duration',
      'seconds',
      done.map((u) => ({ label: `v${u.version}`, value: ((u.endedAt ?? 0) - (u.startedAt ?? 0)) / 1000 })),
    ),
    lineChart(
      'Resource count',
      'resources',
      done
        .filter((u) => u.resourceCount !== null)
        .map((u) => ({ label: `v${u.version}`, value: u.resourceCount ?? 0 })),
    ),
  ]
}

function changes(counts: Record<string, number> | null): string {
  if (!counts) return ''
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([op, n]) => `${op} ${n}`)
    .join(', ')
}
