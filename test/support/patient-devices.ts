import type { Alarm } from '../../src/contract/channels.ts'
import { patientSchema } from '../../src/registry/schema.ts'
import type { Patient } from '../../src/registry/schema.ts'
import type { DeviceKind, Emission, KindFault } from '../../src/simulation/device-kind.ts'
import { driveKind } from '../../src/simulation/drive-kind.ts'
import type { TimedEmission } from '../../src/simulation/drive-kind.ts'
import { createPatientModel } from '../../src/simulation/physiology/patient-model.ts'
import type { PatientModel } from '../../src/simulation/physiology/vitals.ts'

/** 08:00 UTC on a Monday: ward round time, so the circadian rhythm is mid-rise. */
export const START = Date.UTC(2025, 0, 6, 8, 0)
export const MINUTE = 60_000
export const HOUR = 60 * MINUTE

export function patientModel(overrides: Partial<Patient> & { id: string }, setup: { seed?: number; startMs?: number } = {}): PatientModel {
  const info = patientSchema.parse({ ward: 'icu', sex: 'male', ageYears: 64, heightCm: 178, weightKg: 82, ...overrides })
  return createPatientModel(info, { seed: setup.seed ?? 1, startMs: setup.startMs ?? START })
}

/**
 * A patient-attached device driven step by step, as the device runner drives it: ticks on simulated
 * time, with commands (checked against the kind's `cmd` schema first) and faults in between.
 */
export function session<O, S>(kind: DeviceKind<O, S>, setup: { patient: PatientModel; options?: unknown; seed?: number; deviceId?: string; start?: number }) {
  const start = setup.start ?? START
  const { state, ctx } = driveKind(kind, {
    deviceId: setup.deviceId ?? 'dev-01',
    seed: setup.seed ?? 1,
    start,
    ticks: 0,
    options: setup.options,
    patient: setup.patient,
  })
  const period = kind.tickMs(ctx.options)
  const emissions: TimedEmission[] = []
  let now = start
  const collect = (list: Emission[]) => {
    const added = list.map((e) => ({ ...e, ts: e.ts ?? now }))
    emissions.push(...added)
    return added
  }
  return {
    state,
    ctx,
    emissions,
    now: () => now,
    tick(count = 1): TimedEmission[] {
      const added: TimedEmission[] = []
      for (let i = 0; i < count; i++) {
        now += period
        added.push(...collect(kind.tick(state, ctx, now)))
      }
      return added
    },
    command(command: unknown): TimedEmission[] {
      if (!kind.schemas.cmd || !kind.command) throw new Error(`${kind.kind} takes no commands`)
      return collect(kind.command(state, ctx, kind.schemas.cmd.parse(command), now))
    },
    fault(fault: KindFault, active: boolean): TimedEmission[] {
      if (!kind.fault) throw new Error(`${kind.kind} has no kind faults`)
      return collect(kind.fault(state, ctx, fault, active, now))
    },
  }
}

/** Everything a device says about one patient over `ticks`, as JSON; the run seed drives both, as in the fleet. */
export function recording(kind: DeviceKind<any, any>, setup: { seed: number; ticks: number; trajectory: Patient['trajectory'] }): string {
  const patient = patientModel({ id: 'recorded', trajectory: setup.trajectory, onsetMinutes: 5 }, { seed: setup.seed })
  const device = session(kind, { patient, seed: setup.seed })
  device.tick(setup.ticks)
  return JSON.stringify(device.emissions)
}

/** Emissions the kind's own channel schemas refuse, with zod's reason. */
export function rejected(kind: DeviceKind<any, any>, emissions: readonly Emission[]): string[] {
  return emissions.flatMap((e) => {
    const result = kind.schemas[e.channel].safeParse(e.data)
    return result.success ? [] : [`${e.channel} ${JSON.stringify(e.data)}: ${result.error.message}`]
  })
}

export function alarmsIn(emissions: readonly TimedEmission[]): (Alarm & { ts: number })[] {
  return emissions.filter((e) => e.channel === 'alarm').map((e) => ({ ...(e.data as Alarm), ts: e.ts }))
}

export function telemetryIn<T>(emissions: readonly TimedEmission[]): (T & { ts: number })[] {
  return emissions.filter((e) => e.channel === 'telemetry').map((e) => ({ ...(e.data as T), ts: e.ts }))
}

/** Alarms are reported on change: per code they alternate start, end, start… and never repeat. */
export function reportedOnChange(alarms: readonly Alarm[]): boolean {
  const active = new Map<string, boolean>()
  for (const alarm of alarms) {
    if ((active.get(alarm.code) ?? false) === alarm.active) return false
    active.set(alarm.code, alarm.active)
  }
  return true
}
