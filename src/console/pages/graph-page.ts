import type { Stack } from '../../stacks/stack.js'
import { html } from '../html.js'
import { dependencyGraph } from './dependency-graph.js'
import { layout, type PageFrame } from './layout.js'
import type { ResourceView } from './resource-tree.js'
import { stackPath } from './stack-page.js'

export function graphPage(stack: Stack, resources: readonly ResourceView[], user: PageFrame['user']): string {
  const path = stackPath(stack)
  return layout({
    title: `Dependency graph of ${stack.project}/${stack.name}`,
    user,
    body: html`<h1>Dependency graph of ${stack.org}/${stack.project}/${stack.name}</h1>
<nav class="tabs" aria-label="Stack"><a href="${path}">Overview</a><a href="${path}/updates">History</a>
<a href="${path}/graph" aria-current="page">Dependency graph</a></nav>
<p class="muted">Each resource stands right of what it depends on (its parent and dependencies).</p>
${dependencyGraph(resources, path)}`,
  })
}
