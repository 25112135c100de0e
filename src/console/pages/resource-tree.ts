import { type Html, html, urlPart } from '../html.js'
import { showValue } from './stack-page.js'

export interface ResourceView {
  urn: string
  type: string
  id: string
  parent: string
  provider: string
  inputs: Record<string, unknown>
  outputs: Record<string, unknown>
  dependencies: string[]
}

export function resourceName(urn: string): string {
  return urn.slice(urn.lastIndexOf('::') + 2)
}

/** Resources nested under their parents; a filter keeps matching resources and the path to them. */
export function resourceTree(resources: readonly ResourceView[], filter: string, stackPath: string): Html {
  const needle = filter.toLowerCase()
  const known = new Set(resources.map((r) => r.urn))
  const children = new Map<string, ResourceView[]>()
  for (const r of resources) {
    const parent = known.has(r.parent) ? r.parent : ''
    const list = children.get(parent) ?? []
    list.push(r)
    children.set(parent, list)
  }
  const matches = (r: ResourceView) =>
    needle === '' ||
    r.type.toLowerCase().includes(needle) ||
    resourceName(r.urn).toLowerCase().includes(needle)
  const visible = new Set<string>()
  const mark = (r: ResourceView): boolean => {
    let any = matches(r)
    for (const c of children.get(r.urn) ?? []) any = mark(c) || any
    if (any) visible.add(r.urn)
    return any
  }
  for (const r of children.get('') ?? []) mark(r)
  const branch = (parent: string): Html => {
    const list = (children.get(parent) ?? []).filter((r) => visible.has(r.urn))
    if (list.length === 0) return html``
    return html`<ul>${list.map(
      (r) => html`<li><a href="${stackPath}?urn=${urlPart(r.urn)}#resource">${resourceName(r.urn)}</a>
<span class="type">${r.type}</span>${r.id ? html` <code class="id">${r.id}</code>` : ''}${
        r.provider ? html` <span class="muted provider">${providerName(r.provider)}</span>` : ''
      }${branch(r.urn)}</li>`,
    )}</ul>`
  }
  return html`<div class="tree">${branch('')}</div>`
}

function providerName(reference: string): string {
  const urn = reference.slice(0, reference.lastIndexOf('::'))
  return resourceName(urn)
}

export function resourceDetail(r: ResourceView): Html {
  return html`<article id="resource" class="card" aria-labelledby="resource-name">
<h3 id="resource-name">${resourceName(r.urn)} <span class="type">${r.type}</span></h3>
<dl><dt>URN</dt><dd><code>${r.urn}</code></dd>
${r.id ? html`<dt>ID</dt><dd><code>${r.id}</code></dd>` : ''}
${r.provider ? html`<dt>Provider</dt><dd><code>${r.provider}</code></dd>` : ''}
${r.parent ? html`<dt>Parent</dt><dd><code>${r.parent}</code></dd>` : ''}
<dt>Dependencies</dt><dd>${r.dependencies.length ? html`<ul>${r.dependencies.map((d) => html`<li><code>${d}</code></li>`)}</ul>` : 'none'}</dd></dl>
<h4>Inputs</h4><pre>${showValue(r.inputs)}</pre>
<h4>Outputs</h4><pre>${showValue(r.outputs)}</pre>
</article>`
}
