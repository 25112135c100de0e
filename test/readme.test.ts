import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { OPTIONS } from '../src/config/option-table.js'

// The README is the user's front door: its configuration table must list every option the server accepts.
describe('README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

  it('documents every option with its flag and environment variable', () => {
    for (const option of OPTIONS) {
      assert.ok(readme.includes(`\`-${option.flag}\``), `README lacks -${option.flag}`)
      assert.ok(readme.includes(`\`${option.env}\``), `README lacks ${option.env}`)
    }
  })

  it('gives the two quick-start commands', () => {
    assert.match(readme, /npm ci && npm start/)
    assert.match(readme, /npm ci && npm test/)
  })
})
