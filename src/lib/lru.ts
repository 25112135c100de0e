/**
 * An LRU map bounded by entry count and, optionally, by the total size of its values (Map keeps insertion order;
 * re-inserting moves a key to the end). A value larger than the whole size budget is not cached at all.
 */
export class LruCache<K, V> {
  readonly #entries = new Map<K, { value: V; size: number }>()
  #size = 0

  constructor(
    readonly capacity: number,
    private readonly sizing: { maxSize: number; sizeOf: (value: V) => number } | undefined = undefined,
  ) {}

  get(key: K): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    this.#entries.delete(key)
    this.#entries.set(key, entry)
    return entry.value
  }

  set(key: K, value: V): void {
    this.delete(key)
    const size = this.sizing?.sizeOf(value) ?? 0
    if (this.capacity <= 0 || (this.sizing && size > this.sizing.maxSize)) return
    this.#entries.set(key, { value, size })
    this.#size += size
    while (this.#entries.size > this.capacity || (this.sizing && this.#size > this.sizing.maxSize)) {
      const oldest = this.#entries.keys().next()
      if (oldest.done) break
      this.delete(oldest.value)
    }
  }

  delete(key: K): void {
    const entry = this.#entries.get(key)
    if (entry === undefined) return
    this.#entries.delete(key)
    this.#size -= entry.size
  }

  get size(): number {
    return this.#entries.size
  }

  /** Total size of the cached values (0 without a size budget). */
  get bytes(): number {
    return this.#size
  }
}
