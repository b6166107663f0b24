import { TaskQueue } from './task-queue.ts'

/**
 * Simulated time. Devices and scenarios schedule work in simulated milliseconds (epoch-based, so
 * payload `ts` values are real dates). Two clocks fulfil the contract:
 * - the paced clock maps simulated time onto wall time at `speed` × real time (a live lab);
 * - the virtual clock jumps from task to task as fast as the machine allows (scenario runs,
 *   benign baselines), yielding to the event loop so MQTT traffic keeps flowing.
 * Either way one queue drives the whole fleet, and the order of events depends on simulated time
 * alone.
 */
export interface SimClock {
  /** Current simulated time, epoch ms. */
  now(): number
  /** Simulated ms per wall ms, or Infinity for a virtual clock. */
  readonly speed: number
  /** Runs `task` at simulated time `at` (or as soon as possible if that is past). */
  at(at: number, task: () => void): Cancel
  /** Stops firing; pending tasks are dropped. */
  stop(): void
}

export type Cancel = () => void

/** Tasks per timer turn at the most, so a backlog at high speed cannot starve the broker. */
const BATCH_LIMIT = 5000

/** Runs `task` every `intervalMs` of simulated time until the returned function is called. */
export function every(clock: SimClock, task: () => void, intervalMs: number): () => void {
  let cancel: Cancel = () => undefined
  const schedule = (at: number) => {
    cancel = clock.at(at, () => {
      task()
      schedule(at + intervalMs)
    })
  }
  schedule(clock.now() + intervalMs)
  return () => cancel()
}

export interface PacedClock extends SimClock {
  /** Starts a clock created with `paused`: simulated time begins to run from `start` now. */
  resume(): void
  /** Runs now every task due up to `until` that the timer has not reached yet (the end of a run). */
  runDue(until: number): void
}

/**
 * `paused` holds simulated time at `start` until resume(): a run whose devices must all power on
 * at the same simulated instant, however long connecting them takes in wall time, starts paused.
 * `until` is where simulated time stops: a run's clock never fires what is due after the run's
 * end, however late the loop waiting for the end wakes (a busy machine: at 300×, 2 wall ms late
 * is a device tick more than a run on the virtual clock makes).
 */
export function createSimClock(options: { start: number; speed: number; paused?: boolean; until?: number }): PacedClock {
  if (!(options.speed > 0) || !Number.isFinite(options.speed)) throw new Error(`speed must be a positive number, got ${options.speed}`)
  let wallStart: number | null = options.paused ? null : performance.now()
  const queue = new TaskQueue()
  let timer: NodeJS.Timeout | null = null
  let timerAt = Infinity
  let stopped = false

  const until = options.until ?? Infinity
  const now = () => Math.min(until, options.start + (wallStart === null ? 0 : (performance.now() - wallStart) * options.speed))

  const arm = () => {
    if (stopped || wallStart === null) return
    const next = queue.peek()
    if (!next || next.at > until || (timer && timerAt <= next.at)) return
    if (timer) clearTimeout(timer)
    timerAt = next.at
    timer = setTimeout(fire, Math.max(0, (next.at - now()) / options.speed))
  }

  const fire = () => {
    timer = null
    timerAt = Infinity
    const current = now()
    for (let budget = BATCH_LIMIT; budget > 0 && (queue.peek()?.at ?? Infinity) <= current; budget--) queue.pop()!.task()
    arm()
  }

  return {
    now,
    speed: options.speed,
    resume() {
      wallStart ??= performance.now()
      arm()
    },
    runDue(end) {
      while ((queue.peek()?.at ?? Infinity) <= end) queue.pop()!.task()
    },
    at(at, task) {
      const entry = queue.push(at, task)
      arm()
      return () => {
        entry.cancelled = true
      }
    },
    stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      timer = null
      queue.clear()
    },
  }
}

/** Enough microtask turns for an `await clock-based sleep` to resume and schedule its next step. */
const MICROTASK_HOPS = 4

export interface VirtualClock extends SimClock {
  /**
   * Runs every task due up to `end`, in order, setting the clock to each task's time. Every
   * `yieldEvery` simulated ms it lets the event loop turn, so messages the tasks published reach
   * the broker and the pipeline before simulated time moves on.
   */
  runUntil(end: number, options?: { yieldEvery?: number; onYield?: (now: number) => void | Promise<void> }): Promise<void>
}

export function createVirtualClock(start: number): VirtualClock {
  const queue = new TaskQueue()
  let current = start
  let stopped = false
  return {
    now: () => current,
    speed: Infinity,
    at(at, task) {
      const entry = queue.push(Math.max(at, current), task)
      return () => {
        entry.cancelled = true
      }
    },
    stop() {
      stopped = true
      queue.clear()
    },
    async runUntil(end, options = {}) {
      const step = options.yieldEvery ?? 1000
      let nextYield = current + step
      while (!stopped) {
        const next = queue.peek()
        if (!next || next.at > end) break
        if (next.at >= nextYield) {
          current = Math.max(current, nextYield)
          nextYield = current + step
          await new Promise((resolve) => setImmediate(resolve))
          await options.onYield?.(current)
          continue
        }
        queue.pop()
        current = next.at
        next.task()
        // A task that resolves a promise (an attacker's sleep) continues in microtasks, and may
        // schedule its next step there: let those run before looking at the queue again.
        for (let hop = 0; hop < MICROTASK_HOPS; hop++) await undefined
      }
      if (!stopped) current = Math.max(current, end)
    },
  }
}
