/**
 * One time base for every bench process on the machine. `performance.now()` is cheap but counts
 * from each process's own start; `process.hrtime` reads CLOCK_MONOTONIC, which Linux shares across
 * processes. Anchoring the first to the second once per process gives a cheap clock that a
 * generator's send times and a subscriber's receive times can be subtracted on, to the microsecond,
 * and that no wall-clock step (NTP) can bend.
 */
const offsetMs = Number(process.hrtime.bigint()) / 1e6 - performance.now()

/** Milliseconds on the machine-wide monotonic clock, with sub-microsecond resolution. */
export function monoMs(): number {
  return performance.now() + offsetMs
}
