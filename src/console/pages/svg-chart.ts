import { type Html, html } from '../html.js'

export interface ChartPoint {
  label: string
  value: number
}

/** A small line chart as SVG (no script, no library): one labelled series, y from 0 to its maximum. */
export function lineChart(title: string, unit: string, points: readonly ChartPoint[]): Html {
  const width = 480
  const height = 160
  const pad = 32
  if (points.length === 0) return html`<p class="muted">${title}: no data yet.</p>`
  const max = Math.max(...points.map((p) => p.value), 1)
  const x = (i: number) => pad + (points.length === 1 ? 0 : (i * (width - 2 * pad)) / (points.length - 1))
  const y = (v: number) => height - pad - (v * (height - 2 * pad)) / max
  const line = points.map((p, i) => `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ')
  return html`<figure class="chart"><svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${title}" width="100%">
<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#57606a"/>
<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${height - pad}" stroke="#57606a"/>
<text x="2" y="${pad}" font-size="10" fill="#57606a">${formatNumber(max)}</text>
<text x="2" y="${height - pad}" font-size="10" fill="#57606a">0</text>
<polyline points="${line}" fill="none" stroke="#0550ae" stroke-width="2"/>
${points.map(
  (p, i) =>
    html`<circle cx="${x(i).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="3" fill="#0550ae"><title>${p.label}: ${formatNumber(p.value)} ${unit}</title></circle>`,
)}
</svg><figcaption>${title} (${unit})</figcaption></figure>`
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1)
}
