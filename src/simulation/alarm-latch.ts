import type { Alarm } from '../contract/channels.ts'
import type { Emission } from './device-kind.ts'

/** An alarm condition as a kind describes it; whether it is active is the latch's business. */
export type AlarmCondition = Omit<Alarm, 'active'>

/**
 * Alarm messages report a condition starting and ending (IEC 60601-1-8 alarm conditions), not a
 * level repeated every tick. The latch remembers which codes are active and speaks only on a
 * change. An optional delay in ticks is the standard's alarm condition delay: the new truth must
 * last that long before the alarm starts or ends, so a door opened for ten seconds or one noisy
 * reading does not make the alarm chatter.
 */
export class AlarmLatch {
  private readonly active = new Set<string>()
  private readonly pendingTicks = new Map<string, number>()

  /** Reports whether `condition` holds now; returns the alarm message when its state flips. */
  update(condition: AlarmCondition, holds: boolean, delayTicks = 1): Emission[] {
    const code = condition.code
    if (holds === this.active.has(code)) {
      this.pendingTicks.delete(code)
      return []
    }
    const pending = (this.pendingTicks.get(code) ?? 0) + 1
    if (pending < delayTicks) {
      this.pendingTicks.set(code, pending)
      return []
    }
    this.pendingTicks.delete(code)
    if (holds) this.active.add(code)
    else this.active.delete(code)
    return [{ channel: 'alarm', data: { ...condition, active: holds } }]
  }

  isActive(code: string): boolean {
    return this.active.has(code)
  }

  activeCodes(): string[] {
    return [...this.active]
  }
}
