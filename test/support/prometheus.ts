import assert from 'node:assert/strict'

/** GET a Prometheus endpoint as a scraper does: plain HTTP, no credentials, text exposition format. */
export async function scrape(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl.replace(/\/$/, '')}/metrics`)
  assert.equal(response.status, 200)
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  return response.text()
}

/**
 * The value of the one sample `name` whose labels include `labels` (0 when there is none, as for a counter never
 * incremented). Fails when several series match, so a test never sums by accident.
 */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const matches: number[] = []
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    )
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) matches.push(Number(match[3]))
  }
  assert.ok(matches.length <= 1, `${name} ${JSON.stringify(labels)} matches ${matches.length} series`)
  return matches[0] ?? 0
}
