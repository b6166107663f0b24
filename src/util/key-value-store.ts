/**
 * A small ordered key-value store with atomic batches: what a component needs to keep state
 * across a restart without knowing the database. The `--persistence` LevelDB provides one per
 * named sublevel (src/broker/persistence.ts).
 */
export type KeyValueOp = { type: 'put'; key: string; value: string } | { type: 'del'; key: string }

export interface KeyValueStore {
  /** Every entry whose key starts with `prefix`, in key order. */
  list(prefix: string): Promise<[string, string][]>
  /** Applies every operation, in order, atomically: after a crash either all of them happened or none. */
  batch(ops: readonly KeyValueOp[]): Promise<void>
}
