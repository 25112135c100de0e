import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { renderHelp } from './help.js'
import { OPTIONS } from './option-table.js'

describe('renderHelp', () => {
  const help = renderHelp()

  it('lists every option with its env name and default', () => {
    for (const o of OPTIONS) {
      assert.match(help, new RegExp(`^  -${o.flag}\\b`, 'm'), o.flag)
      const shown = o.secret ? '""' : o.kind === 'string' ? JSON.stringify(o.default) : o.default
      assert.ok(help.includes(`env ${o.env}, default ${shown}\n`), o.env)
    }
  })

  it('shows value kinds, enum choices and secret markers', () => {
    assert.match(help, /^ {2}-addr string$/m)
    assert.match(help, /^ {2}-cache-size int$/m)
    assert.match(help, /^ {2}-lease-duration duration$/m)
    assert.match(help, /^ {2}-tls$/m)
    assert.match(help, /^ {2}-log-format json\|text$/m)
    assert.match(help, /^ {2}-auth-mode single-tenant\|google\|oidc\|jwt$/m)
    assert.match(help, /^ {2}-master-key string \(secret\)$/m)
    assert.match(help, /^ {2}-single-tenant-token string \(secret\)$/m)
    assert.match(help, /env PULUMI_BACKEND_MASTER_KEY, default ""\n/)
  })

  it('documents the help flags and precedence, and says journaling is our own addition', () => {
    assert.match(help, /^ {2}-h, -help, --help$/m)
    assert.match(help, /A flag beats the environment,\s+which\s+beats\s+the\s+default/)
    const journaling = help.slice(help.indexOf('  -journaling'))
    assert.match(journaling, /addition of this server/)
  })

  it('keeps lines within 100 columns', () => {
    for (const line of help.split('\n')) assert.ok(line.length <= 100, line)
  })
})
