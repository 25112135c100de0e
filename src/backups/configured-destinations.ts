import type { BackupConfig } from '../config/load-config.js'
import type { BackupDestination } from './destination.js'
import { FileDestination } from './file-destination.js'
import { GcsDestination } from './gcs-destination.js'
import { S3Destination } from './s3-destination.js'

/** The destinations the options name: -backup-dir first (it answers `path`), then -backup-destination. */
export function configuredDestinations(config: BackupConfig): BackupDestination[] {
  const destinations: BackupDestination[] = []
  if (config.dir) destinations.push(new FileDestination(config.dir))
  if (config.destination?.scheme === 'gs') {
    destinations.push(new GcsDestination(config.destination.bucket, config.destination.prefix))
  } else if (config.destination) {
    destinations.push(
      new S3Destination({
        bucket: config.destination.bucket,
        prefix: config.destination.prefix,
        region: config.s3.region,
        endpoint: config.s3.endpoint,
        forcePathStyle: config.s3.forcePathStyle,
      }),
    )
  }
  return destinations
}
