import { z } from 'zod'
import type { DeviceContext } from '../src/simulation/device-kind.ts'
import type { PatientModel } from '../src/simulation/physiology/vitals.ts'
import { clamp, round } from '../src/util/numbers.ts'
import type { Rng } from '../src/util/rng.ts'

/**
 * How a device turns the patient's true physiology into a number on its display: its own
 * measurement error (from the device's seeded stream), its resolution and its measuring range.
 */
export interface Sensor {
  /** Standard deviation of the measurement error, in the field's unit. */
  sd: number
  /** Decimal places the device reports (0 for whole numbers). */
  decimals: number
  /** The measuring range; the device cannot show a value outside it. */
  min: number
  max: number
}

export function noisyReading(rng: Rng, truth: number, sensor: Sensor): number {
  // Counting nothing gives exactly zero: no QRS, no pulse, no breath is not "about 1 per minute".
  if (truth <= 0 && sensor.min === 0) return 0
  return clamp(round(truth + rng.gaussian(0, sensor.sd), sensor.decimals), sensor.min, sensor.max)
}

/** The patient a patient-attached kind measures; the registry guarantees one for such kinds. */
export function attachedPatient(ctx: DeviceContext<unknown>): PatientModel {
  if (!ctx.patient) throw new Error(`device ${ctx.deviceId} measures a patient but none is attached`)
  return ctx.patient
}

/** The telemetry schema of one reading: inside the measuring range, at the device's resolution. */
export function measuredNumber(sensor: Sensor): z.ZodType<number> {
  if (sensor.decimals === 0) return z.int().min(sensor.min).max(sensor.max)
  const scale = 10 ** sensor.decimals
  return z
    .number()
    .min(sensor.min)
    .max(sensor.max)
    .refine((x) => Math.abs(x * scale - Math.round(x * scale)) < 1e-6, `at most ${sensor.decimals} decimals`)
}
