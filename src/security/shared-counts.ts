import { KeyedTable, SlidingCount } from './windows.ts'

/** A value now (one process) or later (a round trip to the cluster's Redis). */
export type Eventually<T> = T | Promise<T>

/**
 * Runs `use` with both values: at once when they are already there, so a single broker's
 * detectors stay synchronous on the hot path, or when both promises settle for a cluster's shared
 * state. A failure of either (Redis gone) goes to `onError`, and neither is left unhandled, which
 * would end the process.
 */
export function whenBothKnown<A, B>(
  first: Eventually<A>,
  second: Eventually<B>,
  use: (first: A, second: B) => void,
  onError: (err: unknown) => void = () => undefined,
): void {
  if (!(first instanceof Promise) && !(second instanceof Promise)) return use(first, second)
  Promise.all([first, second]).then(([a, b]) => use(a, b), onError)
}

/**
 * Sliding-window event counts a detector keeps per key (an address, a username). Counts that
 * must be global in a cluster — failed logins per address, connection rates — go through this,
 * so two broker nodes each seeing half of an attack count all of it (src/cluster/redis-state.ts).
 */
export interface WindowCounts {
  /** Adds one event for `key` at `now` and returns the estimated count over the window ending now. */
  add(key: string, windowMs: number, now: number): Eventually<number>
  /** Forgets keys idle for longer than their window (in-memory); Redis expires them itself. */
  sweep(now: number): void
}

interface Entry {
  lastSeen: number
  events: SlidingCount
}

/** The default: counts in this process, bounded like every other detector table. */
export class LocalCounts implements WindowCounts {
  private readonly table: KeyedTable<Entry>

  constructor(memory: { idleMs: number; maxKeys: number }) {
    this.table = new KeyedTable<Entry>(memory)
  }

  add(key: string, windowMs: number, now: number): number {
    return this.table.touch(key, now, (at) => ({ lastSeen: at, events: new SlidingCount(windowMs) })).events.add(now)
  }

  sweep(now: number): void {
    this.table.sweep(now)
  }
}
