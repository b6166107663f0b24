/**
 * A small ordered key-value store with atomic batches: what a component needs to keep state
 * across a restart without knowing the database. The `--persistence` LevelDB provides one per
 * named sublevel (src/broker/persistence.ts); tests can use the in-memory one below.
 */
export type KeyValueOp = { type: 'put'; key: string; value: string } | { type: 'del'; key: string }

export interface KeyValueStore {
  /** Every entry whose key starts with `prefix`, in key order. */
  list(prefix: string): Promise<[string, string][]>
  /** Applies every operation, in order, atomically: after a crash either all of them happened or none. */
  batch(ops: readonly KeyValueOp[]): Promise<void>
}

/** In memory (lost with the process): for tests, and for a lab started without `--persistence`. */
export function memoryKeyValueStore(): KeyValueStore {
  const data = new Map<string, string>()
  return {
    list: async (prefix) => [...data.entries()].filter(([key]) => key.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    batch: async (ops) => {
      for (const op of ops)
        if (op.type === 'put') data.set(op.key, op.value)
        else data.delete(op.key)
    },
  }
}
