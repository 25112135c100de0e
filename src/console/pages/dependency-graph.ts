import { type Html, html, urlPart } from '../html.js'
import { type ResourceView, resourceName } from './resource-tree.js'

const COLUMN = 220
const ROW = 28
/** Beyond this many resources the picture stops being readable; the page says so and draws the first ones. */
export const GRAPH_LIMIT = 400

/**
 * The stack's dependency graph as SVG: a resource sits one column right of the deepest resource it depends on
 * (dependencies and parents), edges drawn from dependency to dependent. Links open the resource.
 */
export function dependencyGraph(all: readonly ResourceView[], stackPath: string): Html {
  const resources = all.slice(0, GRAPH_LIMIT)
  const known = new Map(resources.map((r) => [r.urn, r]))
  const column = new Map<string, number>()
  const columnOf = (r: ResourceView, seen: Set<string>): number => {
    const cached = column.get(r.urn)
    if (cached !== undefined) return cached
    if (seen.has(r.urn)) return 0
    seen.add(r.urn)
    let c = 0
    for (const d of edgesOf(r)) {
      const dep = known.get(d)
      if (dep) c = Math.max(c, columnOf(dep, seen) + 1)
    }
    column.set(r.urn, c)
    return c
  }
  const rows = new Map<number, number>()
  const at = new Map<string, { x: number; y: number }>()
  for (const r of resources) {
    const c = columnOf(r, new Set())
    const row = rows.get(c) ?? 0
    rows.set(c, row + 1)
    at.set(r.urn, { x: 10 + c * COLUMN, y: 20 + row * ROW })
  }
  const width = 10 + (Math.max(0, ...column.values()) + 1) * COLUMN
  const height = 20 + Math.max(1, ...rows.values()) * ROW
  const edges = resources.flatMap((r) =>
    edgesOf(r)
      .map((d) => [at.get(d), at.get(r.urn)] as const)
      .filter(
        (pair): pair is readonly [{ x: number; y: number }, { x: number; y: number }] =>
          !!pair[0] && !!pair[1],
      ),
  )
  return html`${all.length > GRAPH_LIMIT ? html`<p class="muted">Showing the first ${GRAPH_LIMIT} of ${all.length} resources.</p>` : ''}
<div class="scroll"><svg class="graph" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Dependency graph of ${all.length} resources">
${edges.map(([a, b]) => html`<line x1="${a.x + 190}" y1="${a.y}" x2="${b.x}" y2="${b.y}" stroke="#8c959f"/>`)}
${resources.map((r) => {
  const p = at.get(r.urn) ?? { x: 0, y: 0 }
  return html`<a href="${stackPath}?urn=${urlPart(r.urn)}#resource"><rect x="${p.x}" y="${p.y - 10}" width="190" height="20" rx="4" fill="#f6f8fa" stroke="#0550ae"/>
<text x="${p.x + 6}" y="${p.y + 4}" font-size="11" fill="#1b1f24">${truncate(resourceName(r.urn), 28)}<title>${r.type} ${r.urn}</title></text></a>`
})}
</svg></div>`
}

function edgesOf(r: ResourceView): string[] {
  return r.parent ? [r.parent, ...r.dependencies] : r.dependencies
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}
