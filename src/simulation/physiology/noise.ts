import { hashString, hashUnit, smoothNoise } from '../rng.ts'

/**
 * Stateless variability for one patient. Everything here is a pure function of the patient key,
 * a name and (for signals) time, so any device may ask in any order and see the same truth.
 */

/** A smooth signal in [-1, 1] that changes over about `periodMs`; `name` separates independent signals. */
export function wobble(patientKey: number, name: string, simMs: number, periodMs: number): number {
  return smoothNoise(hashString(name, patientKey), simMs, periodMs)
}

/** A fixed per-patient draw, uniform in [min, max): what makes two patients with the same history differ. */
export function patientDraw(patientKey: number, name: string, min: number, max: number): number {
  return min + (max - min) * hashUnit(hashString(name, patientKey), 0)
}
