export interface StateVersion {
  stackId: string
  version: number
  /** gzip of the UntypedDeployment JSON text, exactly as it is served by export. */
  deploymentGz: Buffer
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
}
