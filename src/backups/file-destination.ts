import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { access, copyFile, mkdir, open, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { BACKUP_NAME, type BackupDestination } from './destination.js'

/** -backup-dir: a local directory. Files are written under a hidden temporary name, synced, then renamed. */
export class FileDestination implements BackupDestination {
  readonly kind = 'file'
  readonly description: string

  constructor(private readonly dir: string) {
    this.description = dir
  }

  async check(): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    await access(this.dir, constants.W_OK)
  }

  async put(name: string, path: string): Promise<string> {
    const final = join(this.dir, name)
    const partial = join(this.dir, `.${name}.${randomBytes(4).toString('hex')}.partial`)
    try {
      await copyFile(path, partial, constants.COPYFILE_EXCL)
      await syncFile(partial)
      await rename(partial, final)
    } catch (error) {
      await rm(partial, { force: true })
      throw error
    }
    return final
  }

  async list(): Promise<string[]> {
    const names = await readdir(this.dir)
    return names.filter((name) => BACKUP_NAME.test(name)).sort((a, b) => b.localeCompare(a))
  }

  async delete(name: string): Promise<void> {
    await rm(join(this.dir, name), { force: true })
  }

  async fetch(name: string, path: string): Promise<void> {
    await copyFile(join(this.dir, name), path)
  }
}

/** Data on disk before the rename makes it visible: a crash never leaves a named but empty backup. */
async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
