import { monitorEventLoopDelay } from 'node:perf_hooks'
import { monoMs } from './clock.ts'

/** One second of a broker's event loop: when it ended (CLOCK_MONOTONIC ms) and its longest delay in ms. */
export type LoopSecond = [at: number, maxDelayMs: number]

/** What the bench reports of a broker's event loop over the measured window. */
export interface LoopStalls {
  /** The longest time the loop could not run a timer on time. */
  maxMs: number
  /** Seconds in which it was held for more than STALL_MS: each is a burst of late messages. */
  secondsOverStall: number
}

/** A stall worth counting: the p99 latency target is 100 ms. */
export const STALL_MS = 100

/**
 * The broker's event-loop delay, worst value per second, on the clock the bench shares with its
 * processes: a latency spike in the timeline can then be told apart as the broker's own (a
 * garbage collection, a long task) or the network's and the generator's. Node's histogram
 * samples every 10 ms and costs the loop nothing it would notice.
 */
export class LoopDelayLog {
  private readonly histogram = monitorEventLoopDelay({ resolution: 10 })
  private readonly seconds: LoopSecond[] = []
  private timer: NodeJS.Timeout | null = null

  start(): void {
    this.histogram.enable()
    this.timer = setInterval(() => {
      this.seconds.push([monoMs(), this.histogram.max / 1e6])
      this.histogram.reset()
    }, 1000)
    this.timer.unref()
  }

  stop(): LoopSecond[] {
    if (this.timer) clearInterval(this.timer)
    this.histogram.disable()
    return this.seconds
  }
}

/** The stalls in the seconds that ended between `from` and `to` (CLOCK_MONOTONIC ms); null without a log. */
export function loopStallsBetween(seconds: readonly LoopSecond[] | null, from: number, to: number): LoopStalls | null {
  if (seconds === null) return null
  const inWindow = seconds.filter(([at]) => at > from && at <= to)
  if (inWindow.length === 0) return null
  return { maxMs: Math.max(...inWindow.map(([, ms]) => ms)), secondsOverStall: inWindow.filter(([, ms]) => ms > STALL_MS).length }
}
