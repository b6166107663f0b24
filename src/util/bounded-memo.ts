/**
 * Remembers what was computed per key, up to `max` keys; full, it starts over rather than grow:
 * the keys here (topics) come from clients, and a client inventing them must not grow memory.
 * A ward publishes on a few topics per device, so starting over is rare and cheap.
 */
export class BoundedMemo<K, V> {
  private readonly values = new Map<K, V>()
  private readonly max: number

  constructor(max: number) {
    this.max = max
  }

  /** `compute` gets the key, so a caller can pass one function made once instead of a closure per call. */
  get(key: K, compute: (key: K) => V): V {
    const known = this.values.get(key)
    if (known !== undefined || this.values.has(key)) return known as V
    const value = compute(key)
    if (this.values.size >= this.max) this.values.clear()
    this.values.set(key, value)
    return value
  }
}

/** Topics remembered at most by the pipeline's per-topic memos. */
export const MAX_REMEMBERED_TOPICS = 100_000
