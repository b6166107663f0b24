import type { VirtualClock } from '../simulation/clock.ts'
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

/**
 * Runs a virtual clock to `end` as fast as the machine allows, but simulated time only moves on
 * once the broker has caught up with what the last simulated second produced — device messages,
 * an attacker's flood, logins waiting on scrypt in the thread pool, devices still connecting.
 * Otherwise a flood's backlog would be processed minutes of simulated time late, and what a run
 * produces would depend on the machine's speed instead of the scenario.
 */
export async function runSettled(clock: VirtualClock, lab: Pick<LabHandle, 'activity'>, end: number): Promise<void> {
  await clock.runUntil(end, { yieldEvery: 1000, onYield: () => settleLab(lab) })
}
