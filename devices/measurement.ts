import type { Sensor } from '../src/contract/measured-number.ts'
import type { DeviceContext } from '../src/simulation/device-kind.ts'
import type { PatientModel } from '../src/simulation/physiology/vitals.ts'
import { clamp, round } from '../src/util/numbers.ts'
import type { Rng } from '../src/util/rng.ts'

/**
 * How a simulated device turns the patient's true physiology into a number on its display: the
 * measurement error its contract states (from the device's seeded stream), its resolution and its
 * measuring range.
 */
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
