import { driveKind } from '../../src/simulation/drive-kind.ts'
import type { TimedEmission } from '../../src/simulation/drive-kind.ts'
import type { DeviceContext, DeviceKind, KindFault } from '../../src/simulation/device-kind.ts'

/** Monday 12 January 2026, 08:00 UTC: a fixed start so runs are comparable. */
export const START = Date.UTC(2026, 0, 12, 8, 0, 0)

/** Something a scenario does to a device between two ticks. */
export type Action = { command: unknown } | { fault: KindFault; active: boolean }

export interface Run<O, S> {
  emissions: TimedEmission[]
  state: S
  ctx: DeviceContext<O>
  /** What `batteryPct()` said after every tick, for the retained status message. */
  batteries: (number | undefined)[]
}

/**
 * `driveKind` plus what a scenario adds: commands (checked against the kind's own `cmd` schema,
 * as the runner does) and kind faults, applied before the numbered tick.
 */
export function runKind<O, S>(
  kind: DeviceKind<O, S>,
  setup: { ticks: number; seed?: string | number; options?: unknown; deviceId?: string; actions?: Record<number, Action[]> },
): Run<O, S> {
  const { state, ctx } = driveKind(kind, { deviceId: setup.deviceId ?? 'dev-01', seed: setup.seed ?? 1, start: START, ticks: 0, options: setup.options })
  const period = kind.tickMs(ctx.options)
  const emissions: TimedEmission[] = []
  const batteries: (number | undefined)[] = []
  const collect = (list: { channel: TimedEmission['channel']; data: unknown; ts?: number }[], now: number) => {
    for (const e of list) emissions.push({ ...e, ts: e.ts ?? now })
  }
  for (let i = 1; i <= setup.ticks; i++) {
    const now = START + i * period
    for (const action of setup.actions?.[i] ?? []) {
      if ('command' in action) {
        if (!kind.schemas.cmd || !kind.command) throw new Error(`${kind.kind} takes no commands`)
        collect(kind.command(state, ctx, kind.schemas.cmd.parse(action.command), now), now)
      } else {
        if (!kind.fault) throw new Error(`${kind.kind} has no kind faults`)
        collect(kind.fault(state, ctx, action.fault, action.active, now), now)
      }
    }
    collect(kind.tick(state, ctx, now), now)
    batteries.push(kind.batteryPct?.(state))
  }
  return { emissions, state, ctx, batteries }
}

/** Every emission and status message the kind's own schemas refuse, with zod's reasons. */
export function schemaViolations(kind: DeviceKind<any, any>, run: Run<any, any>): string[] {
  const violations: string[] = []
  for (const e of run.emissions) {
    const result = kind.schemas[e.channel].safeParse(e.data)
    if (!result.success) violations.push(`${e.channel} ${JSON.stringify(e.data)}: ${result.error.message}`)
  }
  for (const batteryPct of run.batteries) {
    const result = kind.schemas.status.safeParse({ state: 'online', batteryPct })
    if (!result.success) violations.push(`status batteryPct ${batteryPct}: ${result.error.message}`)
  }
  return violations
}

export function ofChannel(run: Run<any, any>, channel: TimedEmission['channel']): TimedEmission[] {
  return run.emissions.filter((e) => e.channel === channel)
}

/** The data of every emission on `channel`, typed by the caller. */
export function dataOf<T>(run: Run<any, any>, channel: TimedEmission['channel']): T[] {
  return ofChannel(run, channel).map((e) => e.data as T)
}
