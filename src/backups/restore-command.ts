import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../config/load-config.js'
import { describeError } from '../lib/describe-error.js'
import { CANARY_META_KEYS, canaryOpens } from '../secrets/key-provider.js'
import { keyProviderFor } from '../secrets/unlock-secrets.js'
import { GcsDestination } from './gcs-destination.js'
import { RestoreError, restoreBackup } from './restore.js'
import { S3Destination } from './s3-destination.js'

export const RESTORE_USAGE =
  'usage: pulumi-backend restore --from <file | s3://bucket/key | gs://bucket/name> --to <sqlite file | postgres://…> [--force] [-master-key HEX]\n' +
  '         [-backup-s3-region R] [-backup-s3-endpoint URL] [-backup-s3-force-path-style]\n'

/**
 * `pulumi-backend restore`: verifies a backup completely, then writes it into a new (or, with --force, an existing)
 * database. Progress goes to stderr; returns the exit code.
 */
export async function restoreCommand(args: string[], print: (line: string) => void): Promise<number> {
  let from: string | undefined
  let to: string | undefined
  let force = false
  const options: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? ''
    const match = /^--?(from|to|force)(?:=(.*))?$/.exec(arg)
    if (!match) options.push(arg)
    else if (match[1] === 'force') force = match[2] === undefined || match[2] === 'true'
    else {
      const value = match[2] ?? args[++i]
      if (match[1] === 'from') from = value
      else to = value
    }
  }
  if (!from || !to) {
    print(RESTORE_USAGE)
    return 2
  }
  const parsed = loadConfig(options, process.env)
  if (parsed.kind === 'help') {
    print(RESTORE_USAGE)
    return 0
  }
  const { config } = parsed
  const workDir = await mkdtemp(join(tmpdir(), 'pulumi-backend-restore-'))
  try {
    let file = from
    const remote = /^(s3|gs):\/\/([^/]+)\/(.+)$/.exec(from)
    if (remote) {
      const [, scheme, bucket = '', key = ''] = remote
      file = join(workDir, 'backup.pbk.gz')
      print(`downloading ${from}…`)
      const store =
        scheme === 'gs'
          ? new GcsDestination(bucket, '')
          : new S3Destination({ bucket, prefix: '', ...config.backup.s3 })
      await store.fetchKey(key, file).catch((error: unknown) => {
        throw new RestoreError(`cannot download ${from}: ${describeError(error)}`)
      })
    } else if (/^[a-z0-9]+:\/\//i.test(from)) {
      throw new RestoreError(`--from ${from}: expected a file path, s3://bucket/key or gs://bucket/name`)
    }
    const current = config.secrets.current
    const keys = current.provider === 'local' && !current.masterKey ? undefined : keyProviderFor(current)
    await restoreBackup({
      file,
      to,
      force,
      progress: print,
      ...(keys && {
        checkKey: async (meta) => {
          const canary = meta.get(CANARY_META_KEYS[keys.kind])
          if (canary === undefined)
            return `the backup has no ${keys.kind} key canary to check ${keys.description} against`
          return (await canaryOpens(keys, canary))
            ? undefined
            : `${keys.description} is not the key of this backup (its canary does not open); secrets would be unreadable`
        },
      }),
    })
    if (!keys)
      print('note: no -master-key or -kms-key given, so the key canary was not checked against a key')
    return 0
  } catch (error) {
    if (error instanceof RestoreError) {
      print(`pulumi-backend restore: ${error.message}`)
      return 1
    }
    throw error
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
}
