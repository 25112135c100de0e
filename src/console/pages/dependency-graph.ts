import { type Html, html, urlPart } from '../html.js'
import { type ResourceView, resourceName } from './resource-tree.js'

const COLUMN = 220
const ROW = 28
const BOX = 190
/** A layer taller than this wraps into further columns, so a stack of thousands stays a scrollable picture. */
export const ROWS_PER_COLUMN = 40

interface Placed {
  r: ResourceView
  x: number
  y: number
}

/**
 * The stack's dependency graph as SVG, every resource drawn. Layered on the server: a resource's layer is one
 * more than the deepest resource it depends on (its parent and dependencies); a layer lists siblings together and
 * wraps every ROWS_PER_COLUMN rows into another column. Edges go from dependency to dependent, all in one path
 * element; boxes are styled by the stylesheet, so each resource costs one link, one box and one label.
 */
export function dependencyGraph(resources: readonly ResourceView[], stackPath: string): Html {
  const layers = layersOf(resources)
  const placed = new Map<string, Placed>()
  let x = 10
  let tallest = 1
  for (const layer of layers) {
    layer.forEach((r, i) => {
      placed.set(r.urn, {
        r,
        x: x + Math.floor(i / ROWS_PER_COLUMN) * COLUMN,
        y: 20 + (i % ROWS_PER_COLUMN) * ROW,
      })
    })
    x += Math.ceil(layer.length / ROWS_PER_COLUMN) * COLUMN
    tallest = Math.max(tallest, Math.min(layer.length, ROWS_PER_COLUMN))
  }
  const width = Math.max(x, COLUMN)
  const height = 20 + tallest * ROW
  let edges = ''
  for (const { r, x, y } of placed.values()) {
    for (const d of edgesOf(r)) {
      const from = placed.get(d)
      if (from) edges += `M${from.x + BOX} ${from.y}L${x} ${y}`
    }
  }
  return html`<p class="muted">${resources.length} resources in ${layers.length} layers.</p>
<div class="scroll"><svg class="graph" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Dependency graph of ${resources.length} resources">
<path class="edges" d="${edges}"/>
${[...placed.values()].map(
  ({
    r,
    x,
    y,
  }) => html`<a href="${stackPath}?urn=${urlPart(r.urn)}#resource"><rect x="${x}" y="${y - 10}"/><text x="${x + 6}" y="${y + 4}">${truncate(resourceName(r.urn), 28)}<title>${r.type}</title></text></a>
`,
)}</svg></div>`
}

/** Resources by layer (longest dependency path from a resource with none), siblings together within a layer. */
export function layersOf(resources: readonly ResourceView[]): ResourceView[][] {
  const known = new Map(resources.map((r) => [r.urn, r]))
  const layer = new Map<string, number>()
  // Iterative depth-first search: a chain of thousands of dependencies must not exhaust the call stack.
  for (const start of resources) {
    if (layer.has(start.urn)) continue
    const stack: ResourceView[] = [start]
    const onPath = new Set<string>([start.urn])
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as ResourceView
      const pending = edgesOf(top).find((d) => known.has(d) && !layer.has(d) && !onPath.has(d))
      if (pending) {
        onPath.add(pending)
        stack.push(known.get(pending) as ResourceView)
        continue
      }
      let depth = 0
      for (const d of edgesOf(top)) {
        const l = layer.get(d)
        if (l !== undefined) depth = Math.max(depth, l + 1)
      }
      layer.set(top.urn, depth)
      onPath.delete(top.urn)
      stack.pop()
    }
  }
  const layers: ResourceView[][] = []
  for (const r of resources) {
    const l = layer.get(r.urn) ?? 0
    const at = layers[l] ?? []
    at.push(r)
    layers[l] = at
  }
  return layers
    .filter((l) => l !== undefined)
    .map((l) => l.sort((a, b) => (a.parent === b.parent ? 0 : a.parent < b.parent ? -1 : 1)))
}

function edgesOf(r: ResourceView): string[] {
  return r.parent ? [r.parent, ...r.dependencies] : r.dependencies
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}
