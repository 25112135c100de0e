import type { Stack } from '../../stacks/stack.js'
import type { Update } from '../../updates/update.js'
import { type Html, html } from '../html.js'
import type { LogLine } from '../update-log/engine-event-text.js'
import { layout, type PageFrame, when } from './layout.js'
import { stackPath } from './stack-page.js'

export function logLinesHtml(lines: readonly LogLine[]): Html {
  return html`${lines.map((l) => html`<span class="line ${l.tone}">${l.text}</span>\n`)}`
}

export function updateLogPage(
  stack: Stack,
  update: Update,
  lines: readonly LogLine[],
  user: PageFrame['user'],
): string {
  const path = stackPath(stack)
  const live = update.status === 'running' || update.status === 'not started'
  return layout({
    title: `Update ${update.version} of ${stack.project}/${stack.name}`,
    user,
    body: html`<h1>${update.kind} ${update.version} of ${stack.org}/${stack.project}/${stack.name}</h1>
<nav class="tabs" aria-label="Stack"><a href="${path}">Overview</a><a href="${path}/updates">History</a></nav>
<dl class="facts"><dt>Result</dt><dd><span class="badge ${update.status.replace(' ', '-')}" id="update-status">${update.status}</span></dd>
<dt>Started</dt><dd>${when(update.startedAt)}</dd><dt>By</dt><dd>${update.requestedBy}</dd>
<dt>Message</dt><dd>${update.message}</dd></dl>
<pre class="log" id="update-log" aria-live="polite"${live ? html` data-stream="${path}/updates/${update.version}/stream"` : ''}>${logLinesHtml(lines)}</pre>`,
  })
}
