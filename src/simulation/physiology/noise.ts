import { hashString, hashUnit } from '../../util/hash.ts'
import { smoothNoise } from '../smooth-noise.ts'

/**
 * Stateless variability for one patient. Everything here is a pure function of the patient key,
 * a name and (for signals) time, so any device may ask in any order and see the same truth.
 */

/**
 * A smooth signal in [-1, 1] that changes over about `periodMs`; `name` separates independent
 * signals. The key is hashed once here, since vitals are asked for every second by every device.
 */
export function signal(patientKey: number, name: string, periodMs: number): (simMs: number) => number {
  const key = hashString(name, patientKey)
  return (simMs) => smoothNoise(key, simMs, periodMs)
}

/** A fixed per-patient draw, uniform in [min, max): what makes two patients with the same history differ. */
export function patientDraw(patientKey: number, name: string, min: number, max: number): number {
  return min + (max - min) * hashUnit(hashString(name, patientKey), 0)
}
