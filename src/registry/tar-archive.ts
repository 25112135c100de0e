import { constants } from 'node:fs'
import { open, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { TooLargeError } from '../errors.js'

const BLOCK = 512

/** One member of an archive: a directory or a regular file, named relative to the archive root with `/`. */
interface TarMember {
  name: string
  kind: 'dir' | 'file'
  mode: number
  mtimeSeconds: number
  data: Buffer
}

/**
 * Packs a directory as a POSIX (ustar + pax) tar, the format the CLI unpacks with Go's archive/tar
 * (pkg/cmd/pulumi/templates/cloud.go :: writeTar, which keeps only directories and regular files).
 *
 * Only what is really inside `root` is packed: symbolic links (to files or folders, possibly outside the root)
 * and special files are skipped, files are opened with O_NOFOLLOW, and `.git` folders are left out. The tar
 * stream may not exceed `maxBytes` (the CLI stops reading a template after 100 MiB).
 */
export async function tarDirectory(root: string, maxBytes: number): Promise<Buffer> {
  const blocks: Buffer[] = []
  let size = 0
  const push = (buffer: Buffer) => {
    size += buffer.length
    if (size + 2 * BLOCK > maxBytes) {
      throw tooLarge(maxBytes)
    }
    blocks.push(buffer)
  }
  for await (const member of walk(root, '', maxBytes)) {
    for (const block of memberBlocks(member)) push(block)
  }
  push(Buffer.alloc(2 * BLOCK))
  return Buffer.concat(blocks)
}

async function* walk(root: string, prefix: string, maxBytes: number): AsyncGenerator<TarMember> {
  const entries = await readdir(join(root, prefix), { withFileTypes: true })
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const entry of entries) {
    const name = prefix === '' ? entry.name : `${prefix}/${entry.name}`
    // Dirent types come from lstat: a symbolic link is neither a directory nor a file here.
    if (entry.isDirectory()) {
      if (entry.name === '.git') continue
      yield { name, kind: 'dir', mode: 0o755, mtimeSeconds: 0, data: Buffer.alloc(0) }
      yield* walk(root, name, maxBytes)
    } else if (entry.isFile()) {
      const file = await readRegularFile(join(root, name), maxBytes)
      if (file) yield { name, kind: 'file', ...file }
    }
  }
}

/** Reads a file only if it still is a regular file when opened (not swapped for a link since the listing). */
async function readRegularFile(path: string, maxBytes: number) {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch {
    return undefined
  }
  try {
    const stat = await handle.stat()
    if (!stat.isFile()) return undefined
    if (stat.size > maxBytes) throw tooLarge(maxBytes)
    const executable = (stat.mode & 0o100) !== 0
    return {
      mode: executable ? 0o755 : 0o644,
      mtimeSeconds: Math.floor(stat.mtimeMs / 1000),
      data: await handle.readFile(),
    }
  } finally {
    await handle.close()
  }
}

function tooLarge(maxBytes: number): TooLargeError {
  return new TooLargeError(
    `Payload Too Large: the template is larger than ${maxBytes} bytes as a tar archive`,
  )
}

function memberBlocks(member: TarMember): Buffer[] {
  const name = member.kind === 'dir' ? `${member.name}/` : member.name
  const blocks: Buffer[] = []
  // ustar holds 100 bytes of ASCII name; anything longer or non-ASCII goes in a pax `path` record first.
  const nameBytes = Buffer.from(name, 'utf8')
  const needsPax = nameBytes.length > 100 || /[^\x20-\x7e]/.test(name)
  if (needsPax) {
    const record = paxRecord('path', name)
    blocks.push(header({ name: 'PaxHeader', typeflag: 'x', mode: 0o644, size: record.length, mtime: 0 }))
    blocks.push(...padded(record))
  }
  const shortName = needsPax ? asciiFallback(name) : name
  const typeflag = member.kind === 'dir' ? '5' : '0'
  blocks.push(
    header({
      name: shortName,
      typeflag,
      mode: member.mode,
      size: member.data.length,
      mtime: member.mtimeSeconds,
    }),
  )
  if (member.data.length > 0) blocks.push(...padded(member.data))
  return blocks
}

/** A pax record is `<length> <key>=<value>\n`, where the length counts its own digits. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`
  const bodyLength = Buffer.byteLength(body)
  let length = bodyLength + 1
  while (String(length).length + bodyLength !== length) length = String(length).length + bodyLength
  return Buffer.from(`${length}${body}`, 'utf8')
}

function asciiFallback(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '_').slice(-100)
}

function header(h: { name: string; typeflag: string; mode: number; size: number; mtime: number }): Buffer {
  const block = Buffer.alloc(BLOCK)
  block.write(h.name, 0, 100, 'utf8')
  writeOctal(block, 100, 8, h.mode)
  writeOctal(block, 108, 8, 0) // uid
  writeOctal(block, 116, 8, 0) // gid
  writeOctal(block, 124, 12, h.size)
  writeOctal(block, 136, 12, h.mtime)
  block.write(h.typeflag, 156, 1, 'ascii')
  block.write('ustar\u000000', 257, 8, 'ascii')
  // The checksum is computed with its own field read as eight spaces.
  block.fill(0x20, 148, 156)
  let sum = 0
  for (const byte of block) sum += byte
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii')
  return block
}

function writeOctal(block: Buffer, offset: number, width: number, value: number): void {
  block.write(`${value.toString(8).padStart(width - 1, '0')}\u0000`, offset, width, 'ascii')
}

function padded(data: Buffer): Buffer[] {
  const rest = data.length % BLOCK
  return rest === 0 ? [data] : [data, Buffer.alloc(BLOCK - rest)]
}
