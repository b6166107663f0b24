import type { LabHandle } from './lab-handle.ts'

/** Quiet event-loop turns in a row that mean the broker has caught up. */
const QUIET_TURNS = 2
/** A settle never waits longer than this for quiet (wall ms): background traffic cannot stall a run. */
const MAX_SETTLE_MS = 5000

/**
 * Lets the event loop turn until the lab is quiet — what was written has been read, authenticated,
 * judged and routed — so that simulated time may move on without the broker processing a backlog
 * at a later simulated time than it arrived.
 */
export async function settleLab(lab: Pick<LabHandle, 'activity'>): Promise<void> {
  const deadline = performance.now() + MAX_SETTLE_MS
  let quiet = 0
  let last = lab.activity().count
  while (quiet < QUIET_TURNS && performance.now() < deadline) {
    await new Promise((resolve) => setImmediate(resolve))
    const now = lab.activity()
    quiet = now.count === last && !now.pending ? quiet + 1 : 0
    last = now.count
  }
}
