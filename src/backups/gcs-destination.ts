import type { Bucket } from '@google-cloud/storage'
import { BACKUP_NAME, type BackupDestination } from './destination.js'

/**
 * `-backup-destination gs://bucket/prefix` through the official Cloud Storage client, loaded only when configured.
 * Credentials are Application Default Credentials (STORAGE_EMULATOR_HOST points it at an emulator, without
 * credentials). An upload becomes visible under its name only when complete; its MD5 is checked by the client.
 */
export class GcsDestination implements BackupDestination {
  readonly kind = 'gcs'
  readonly description: string
  #bucket: Promise<Bucket> | undefined

  constructor(
    private readonly bucketName: string,
    private readonly prefix: string,
  ) {
    this.description = `gs://${bucketName}/${prefix}`
  }

  async check(): Promise<void> {
    const bucket = await this.#connect()
    const [exists] = await bucket.exists()
    if (!exists)
      throw new Error(`bucket ${this.bucketName} does not exist or is not visible to these credentials`)
  }

  async put(name: string, path: string): Promise<string> {
    const bucket = await this.#connect()
    const key = this.prefix + name
    await bucket.upload(path, {
      destination: key,
      resumable: false,
      contentType: 'application/gzip',
      validation: 'md5',
    })
    return key
  }

  async list(): Promise<string[]> {
    const bucket = await this.#connect()
    const [files] = await bucket.getFiles({ prefix: this.prefix, autoPaginate: true })
    return files
      .map((file) => file.name.slice(this.prefix.length))
      .filter((name) => BACKUP_NAME.test(name))
      .sort((a, b) => b.localeCompare(a))
  }

  async delete(name: string): Promise<void> {
    const bucket = await this.#connect()
    await bucket.file(this.prefix + name).delete({ ignoreNotFound: true })
  }

  async fetch(name: string, path: string): Promise<void> {
    await this.fetchKey(this.prefix + name, path)
  }

  /** Downloads an object by its full name (restore --from gs://bucket/name); restore verifies its content hash. */
  async fetchKey(key: string, path: string): Promise<void> {
    const bucket = await this.#connect()
    await bucket.file(key).download({ destination: path, validation: false })
  }

  #connect(): Promise<Bucket> {
    this.#bucket ??= import('@google-cloud/storage').then(({ Storage }) =>
      new Storage().bucket(this.bucketName),
    )
    return this.#bucket
  }
}
