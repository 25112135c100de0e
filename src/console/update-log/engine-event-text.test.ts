// Every fixture event stream rendered and compared with the CLI's own text (colour tags aside): the stdout lines
// the console renders (diagnostics go to stderr in the CLI) must equal the lines the CLI printed, property bodies
// included. FULL lists the fixtures that match line for line; the others must match in every step and summary
// line, in order (their remaining differences are listed in the README's console section).
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { renderEngineEvents, stripColor } from './engine-event-text.js'

const DIR = new URL('../../../test/fixtures/events/', import.meta.url)

const load = (name: string) => {
  const events = readFileSync(new URL(name, DIR), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
  const cli = stripColor(readFileSync(new URL(name.replace(/\.json$/, '.stdout.txt'), DIR), 'utf8'))
    .replace(/\n$/, '')
    .split('\n')
  const rendered = renderEngineEvents(events)
    .filter((l) => !l.stderr)
    .map((l) => l.text)
  return { cli, rendered }
}

describe('update log rendering against the CLI fixtures', {
  skip: !existsSync(DIR) && 'no test/fixtures/events',
}, () => {
  const names = existsSync(DIR) ? readdirSync(DIR).filter((n) => n.endsWith('.json')) : []
  for (const name of names) {
    it(name, () => {
      const { cli, rendered } = load(name)
      assert.deepEqual(rendered, cli)
    })
  }
})
