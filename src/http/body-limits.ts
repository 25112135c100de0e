import { constants as bufferConstants } from 'node:buffer'

/**
 * Which size limit a route's body falls under, fitted to what the CLI sends there (RouteConfig.body):
 * - `state`: whole deployments: checkpoints (full, verbatim, delta), imports, and a journal batch of one entry
 *   (a Write entry carries a whole snapshot);
 * - `journal`: journal batches of more than one entry (the CLI splits a batch answered 413: journal/snapshot.go ::
 *   sendBatch), up to the `state` limit for a single entry;
 * - `events`: engine event batches (at most 50 events: httpstate/events.go);
 * - `secrets`: encrypt/decrypt and their batch variants (at most 1000 values: pkg/resource/stack/secrets.go);
 * - `json`: every other body (stack and update creation with their config, tags, leases, completion).
 */
export type BodyClass = 'state' | 'journal' | 'events' | 'secrets' | 'json'

export interface BodyLimit {
  /** Largest body, raw and after gzip decompression. */
  bytes: number
  /** What the limit applies to, for the 413 message. */
  what: string
  /** The option that raises it. */
  flag: string
  env: string
}

export type BodyLimits = Record<BodyClass, BodyLimit>

// A body is read as one string for JSON.parse; V8 cannot hold a longer one.
const MAX_TEXT_BYTES = bufferConstants.MAX_STRING_LENGTH

export function bodyLimits(bytes: Record<BodyClass, number>): BodyLimits {
  const limit = (bytesOf: number, what: string, flag: string): BodyLimit => ({
    bytes: Math.min(bytesOf, MAX_TEXT_BYTES),
    what,
    flag,
    env: `PULUMI_BACKEND_${flag.toUpperCase().replaceAll('-', '_')}`,
  })
  return {
    state: limit(bytes.state, 'checkpoints, imports and single journal entries', 'max-body-size'),
    journal: limit(bytes.journal, 'journal batches of more than one entry', 'max-journal-batch-size'),
    events: limit(bytes.events, 'engine event batches', 'max-event-batch-size'),
    secrets: limit(bytes.secrets, 'encrypt and decrypt requests', 'max-secrets-body-size'),
    json: limit(bytes.json, 'bodies of this request', 'max-json-body-size'),
  }
}

/**
 * The limit on a route's bytes before its body is parsed, raw and inflated. A journal batch may hold one entry as
 * large as a checkpoint (a Write entry carries a whole snapshot); the batch limit applies once entries are counted.
 */
export function unparsedLimit(limits: BodyLimits, body: BodyClass): BodyLimit {
  return body === 'journal' && limits.state.bytes > limits.journal.bytes ? limits.state : limits[body]
}

/** The 413 message: which limit, and how to raise it. */
export function tooLargeMessage(limit: BodyLimit): string {
  return (
    `Payload Too Large: ${limit.what} are limited to ${limit.bytes} bytes (raw and after gzip decompression); ` +
    `the server's operator can raise this with -${limit.flag} (${limit.env})`
  )
}
