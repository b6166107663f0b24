import { Rng } from '../util/rng.ts'
import type { DeviceContext, DeviceKind, Emission } from './device-kind.ts'
import type { PatientModel } from './physiology/vitals.ts'

export interface TimedEmission extends Emission {
  ts: number
}

/**
 * Runs a device kind without a broker: tick after tick on simulated time, collecting what it emits
 * with the time it was measured. Tests use it to check schemas, determinism and clinical
 * behaviour; it is the same tick loop the device runner drives over MQTT.
 */
export function driveKind<O, S>(
  kind: DeviceKind<O, S>,
  setup: {
    deviceId: string
    seed: string | number
    start: number
    ticks: number
    options?: unknown
    patient?: PatientModel | null
    ward?: string
    bed?: string
  },
): { emissions: TimedEmission[]; state: S; ctx: DeviceContext<O> } {
  const ctx: DeviceContext<O> = {
    deviceId: setup.deviceId,
    ward: setup.ward ?? 'icu',
    bed: setup.bed,
    options: kind.optionsSchema.parse(setup.options ?? {}),
    patient: setup.patient ?? null,
    rng: Rng.derive(setup.seed, setup.deviceId),
  }
  const state = kind.init(ctx, setup.start)
  const emissions: TimedEmission[] = []
  const period = kind.tickMs(ctx.options)
  for (let i = 1; i <= setup.ticks; i++) {
    const now = setup.start + i * period
    for (const e of kind.tick(state, ctx, now)) emissions.push({ ...e, ts: e.ts ?? now })
  }
  return { emissions, state, ctx }
}
