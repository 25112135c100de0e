import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, describe, it } from 'node:test'
import { TooLargeError } from '../errors.js'
import { tarDirectory } from './tar-archive.js'

// Round trips through GNU tar, an independent reader (the CLI reads with Go's archive/tar, which accepts the same
// ustar + pax format).
describe('tarDirectory', () => {
  const work = mkdtempSync(join(tmpdir(), 'tar-archive-'))
  after(() => rmSync(work, { recursive: true, force: true }))

  function roundTrip(files: Record<string, string>): string {
    const source = mkdtempSync(join(work, 'src-'))
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(dirname(join(source, name)), { recursive: true })
      writeFileSync(join(source, name), content)
    }
    return source
  }

  function extract(archive: Buffer): string {
    const target = mkdtempSync(join(work, 'out-'))
    writeFileSync(`${target}.tar`, archive)
    execFileSync('tar', ['-xf', `${target}.tar`, '-C', target])
    return target
  }

  it('keeps names whose pax record length crosses a digit boundary (99/100, 999/1000 bytes)', async () => {
    // A pax record is "<len> path=<name>\n": 7 bytes besides the name and the length digits. Non-ASCII names
    // always take a pax record, so these lengths land the record exactly around the boundaries.
    const names: string[] = []
    for (const nameBytes of [88, 89, 90, 91, 92]) names.push(`é${'a'.repeat(nameBytes - 2)}`)
    for (const pathBytes of [988, 989, 990, 991, 992]) {
      const leaf = `é${'b'.repeat(48)}`
      const dirs = 'd'.repeat(99)
      let path = ''
      while (Buffer.byteLength(path) + 100 + Buffer.byteLength(leaf) < pathBytes) path += `${dirs}/`
      const filler = pathBytes - Buffer.byteLength(path) - Buffer.byteLength(leaf) - 1
      names.push(`${path}${'c'.repeat(filler)}/${leaf}`)
    }
    const files = Object.fromEntries(names.map((name, i) => [name, `file ${i}\n`]))
    const out = extract(await tarDirectory(roundTrip(files), 10_000_000))
    names.forEach((name, i) => {
      assert.equal(
        readFileSync(join(out, name), 'utf8'),
        `file ${i}\n`,
        `${Buffer.byteLength(name)}-byte name`,
      )
    })
  })

  it('packs empty files and files of exactly one block', async () => {
    const out = extract(await tarDirectory(roundTrip({ empty: '', block: 'x'.repeat(512) }), 10_000_000))
    assert.equal(readFileSync(join(out, 'empty'), 'utf8'), '')
    assert.equal(readFileSync(join(out, 'block'), 'utf8'), 'x'.repeat(512))
  })

  it('leaves out links and .git, and refuses archives over the limit', async () => {
    const source = roundTrip({ 'kept.txt': 'kept\n', '.git/HEAD': 'ref\n' })
    writeFileSync(join(work, 'secret'), 'secret\n')
    symlinkSync(join(work, 'secret'), join(source, 'link'))
    const listing = execFileSync('tar', ['-t'], { input: await tarDirectory(source, 10_000_000) }).toString()
    assert.deepEqual(listing.trim().split('\n'), ['kept.txt'])
    await assert.rejects(tarDirectory(source, 1024), TooLargeError)
  })
})
