// When a shown value is too old to trust. Ages are in simulated time (payload `ts`), since that is
// the time the ward lives in; a wall-time floor keeps a fast clock (--speed 30) from greying values
// between two messages that are merely a render apart.

/** A reading is stale after this many of the device's own reporting intervals… */
const STALE_INTERVALS = 5
/** …and never sooner than this (simulated): ten missed 1 Hz numerics. */
const STALE_MIN_SIM_MS = 10_000
const STALE_MIN_WALL_MS = 3_000
/** A cuff reading stands for the longest cuff cycle plus one retried inflation, as the pipeline's NEWS2 tracker counts it. */
export const NIBP_VALID_MS = 75 * 60_000

export function age(clock, field) {
  return field ? clock.now() - field.ts : Infinity
}

export function isStale(clock, device, field, validMs = Math.max(STALE_INTERVALS * device.interval, STALE_MIN_SIM_MS)) {
  if (!field) return true
  return age(clock, field) > validMs && performance.now() - field.wall > STALE_MIN_WALL_MS
}
