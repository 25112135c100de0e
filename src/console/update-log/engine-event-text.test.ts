// Every fixture event stream rendered and compared with the CLI's own text (colour tags aside): each line the
// console renders must be a line the CLI printed, in the same order. Property bodies are not rendered yet.
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { renderEngineEvents, stripColor } from './engine-event-text.js'

const DIR = new URL('../../../test/fixtures/events/', import.meta.url)

describe('update log rendering against the CLI fixtures', {
  skip: !existsSync(DIR) && 'no test/fixtures/events',
}, () => {
  const names = existsSync(DIR) ? readdirSync(DIR).filter((n) => n.endsWith('.json')) : []
  for (const name of names) {
    it(name, () => {
      const events = readFileSync(new URL(name, DIR), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
      const cli = stripColor(
        readFileSync(new URL(name.replace(/\.json$/, '.stdout.txt'), DIR), 'utf8'),
      ).split('\n')
      const rendered = renderEngineEvents(events).filter((l) => l.text.trim() !== '')
      assert.ok(rendered.length > 0)
      let at = 0
      for (const line of rendered) {
        const found = cli.indexOf(line.text, at)
        assert.ok(
          found >= 0,
          `${name}: rendered line not in the CLI's text (in order): ${JSON.stringify(line.text)}`,
        )
        at = found + 1
      }
    })
  }
})
