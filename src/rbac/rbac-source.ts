import { type FSWatcher, watch } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import type { Logger } from 'pino'
import { parseRbacConfig, RbacConfigError, type RbacPolicy } from './rbac-config.js'

/** The reload outcome, for the audit log. */
export type ReloadResult = { ok: true } | { ok: false; error: string }

/**
 * The current -rbac-config policy, reloaded on SIGHUP and when the file changes. A file that fails to parse
 * keeps the previous policy (and logs why), so a typo never opens or closes the server by accident.
 */
export class RbacSource {
  private policy: RbacPolicy
  private watcher: FSWatcher | undefined
  private debounce: NodeJS.Timeout | undefined
  private readonly onSighup = () => void this.reload('SIGHUP')

  private constructor(
    private readonly path: string,
    initial: RbacPolicy,
    private readonly logger: Logger,
    private readonly onReload: (trigger: string, result: ReloadResult) => void,
  ) {
    this.policy = initial
  }

  /** Loads the file; an invalid one throws RbacConfigError with its line (startup fails). */
  static async open(
    path: string,
    logger: Logger,
    onReload: (trigger: string, result: ReloadResult) => void = () => {},
  ): Promise<RbacSource> {
    const source = new RbacSource(path, await load(path), logger, onReload)
    process.on('SIGHUP', source.onSighup)
    try {
      // Editors replace files (write a new one, rename it over): a watch on the file itself would stop after the
      // first save, so the directory is watched for this file's name.
      source.watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
        if (name === null || name === basename(path)) source.scheduleReload()
      })
    } catch (error) {
      logger.warn({ err: error, path }, 'cannot watch the RBAC config; reload it with SIGHUP')
    }
    return source
  }

  current(): RbacPolicy {
    return this.policy
  }

  async reload(trigger: string): Promise<ReloadResult> {
    let result: ReloadResult
    try {
      this.policy = await load(this.path)
      this.logger.info({ path: this.path, trigger }, 'RBAC config reloaded')
      result = { ok: true }
    } catch (error) {
      const message = error instanceof RbacConfigError ? error.message : String((error as Error).message)
      this.logger.error(
        { path: this.path, trigger, error: message },
        'RBAC config not reloaded: keeping the previous one',
      )
      result = { ok: false, error: message }
    }
    this.onReload(trigger, result)
    return result
  }

  close(): void {
    process.off('SIGHUP', this.onSighup)
    clearTimeout(this.debounce)
    this.watcher?.close()
  }

  private scheduleReload(): void {
    // One save fires several change events; reload once they settle.
    clearTimeout(this.debounce)
    this.debounce = setTimeout(() => void this.reload('file change'), 100)
    this.debounce.unref()
  }
}

async function load(path: string): Promise<RbacPolicy> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new RbacConfigError(
      `${path}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    )
  }
  return parseRbacConfig(text, path)
}
