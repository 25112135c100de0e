/** How a stored deployment's bytes are encoded: small ones are gzipped at once, large ones shortly after. */
export type StateEncoding = 'gzip' | 'identity'

export interface StateVersion {
  stackId: string
  version: number
  /** The UntypedDeployment JSON text, exactly as served by export, in `encoding`. */
  deployment: Buffer
  encoding: StateEncoding
  /** SHA-256 (hex) of the uncompressed text. */
  sha256: string
  size: number
  resourceCount: number
  createdAt: number
}

export interface StateStore {
  get(stackId: string, version: number): Promise<StateVersion | undefined>
  /** Idempotent: writing the same (stack, version) again replaces it. */
  put(state: StateVersion): Promise<void>
  /** Deletes all but the newest `keep` versions of a stack; returns the deleted version numbers. */
  prune(stackId: string, keep: number): Promise<number[]>
  /** Replaces a still-uncompressed version by its gzip, unless it changed meanwhile (checked by hash). */
  storeCompressed(stackId: string, version: number, sha256: string, gz: Buffer): Promise<void>
  /** Versions still stored uncompressed (left by a restart before their compression ran). */
  uncompressed(limit: number): Promise<{ stackId: string; version: number }[]>
}
