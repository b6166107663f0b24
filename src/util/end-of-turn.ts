/**
 * A task run once at the end of the current turn of the event loop (its check phase, by
 * `setImmediate`), however often it is asked for within the turn. Returns the function that asks.
 * What gathers work over a turn uses it: writes to a connection (broker/write-coalescing.ts),
 * lines to a file (pipeline/sinks/jsonl.ts), turns counted while a subscriber is watched
 * (broker/load-shedding.ts).
 */
export function atTheEndOfTheTurn(task: () => void): () => void {
  let pending = false
  const run = () => {
    pending = false
    task()
  }
  return () => {
    if (pending) return
    pending = true
    setImmediate(run)
  }
}
