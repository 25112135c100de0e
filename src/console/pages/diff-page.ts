import type { Stack } from '../../stacks/stack.js'
import type { StateDiff } from '../../state/state-diff.js'
import { html } from '../html.js'
import { layout, type PageFrame } from './layout.js'
import { resourceName } from './resource-tree.js'
import { showValue, stackPath } from './stack-page.js'

export function diffPage(
  stack: Stack,
  range: { from: number; to: number },
  diff: StateDiff,
  user: PageFrame['user'],
): string {
  const path = stackPath(stack)
  return layout({
    title: `Diff ${range.from}→${range.to} of ${stack.project}/${stack.name}`,
    user,
    body: html`<h1>Changes from version ${range.from} to ${range.to}</h1>
<nav class="tabs" aria-label="Stack"><a href="${path}">Overview</a><a href="${path}/updates">History</a></nav>
<form method="get" action="${path}/diff" class="filters">
<label>From version <input name="from" type="number" min="0" max="${stack.version}" value="${range.from}"></label>
<label>To version <input name="to" type="number" min="0" max="${stack.version}" value="${range.to}"></label>
<button type="submit">Compare</button></form>
<p>${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed.</p>
<section aria-labelledby="added"><h2 id="added">Added</h2><ul>${diff.added.map(
      (r) => html`<li class="create">+ ${resourceName(r.urn)} <span class="type">${r.type}</span></li>`,
    )}</ul></section>
<section aria-labelledby="removed"><h2 id="removed">Removed</h2><ul>${diff.removed.map(
      (r) => html`<li class="delete">- ${resourceName(r.urn)} <span class="type">${r.type}</span></li>`,
    )}</ul></section>
<section aria-labelledby="changed"><h2 id="changed">Changed</h2>${diff.changed.map(
      (c) => html`<article class="card"><h3>~ ${resourceName(c.urn)} <span class="type">${c.type}</span></h3>
<div class="scroll"><table><thead><tr><th scope="col">Property</th><th scope="col">Before</th><th scope="col">After</th></tr></thead><tbody>${c.changes.map(
        (p) =>
          html`<tr><th scope="row"><code>${p.path}</code></th><td class="delete"><code>${showValue(p.before)}</code></td><td class="create"><code>${showValue(p.after)}</code></td></tr>`,
      )}</tbody></table></div></article>`,
    )}</section>`,
  })
}
