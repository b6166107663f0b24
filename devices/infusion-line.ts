import { round } from '../src/util/numbers.ts'
import { smoothNoise } from '../src/simulation/smooth-noise.ts'
import type { Rng } from '../src/util/rng.ts'

/**
 * The fluid path downstream of an infusion pump: the pressure its sensor reads, occlusions and air.
 * Kept apart from the pump's state machine because it is physics, not control.
 */

const MS_PER_HOUR = 3_600_000
/** Downstream pressure = venous pressure + line and cannula resistance × flow (about 33 mmHg at 100 mL/h). */
const VENOUS_PRESSURE_MMHG = 8
const LINE_RESISTANCE_MMHG_PER_ML_H = 0.25
/**
 * How far pressure rises per mL pushed into a blocked line. A stiff syringe with short tubing is low
 * compliance but runs slowly: at 5 mL/h it still takes minutes to reach the limit, the known slow
 * occlusion detection of syringe pumps at low rates.
 */
const LINE_COMPLIANCE_ML_PER_MMHG = { syringe: 0.002, bag: 0.008 }
/** An open line settles to its flow pressure within seconds. */
const SETTLE_MS = 3000
/** Random incidents per hour of infusion (assumed rates; the reference gives none). */
const KINK_PER_HOUR = 1 / 24
const AIR_PER_HOUR = { syringe: 1 / 500, bag: 1 / 48 }

export type Container = keyof typeof LINE_COMPLIANCE_ML_PER_MMHG

export interface InfusionLine {
  /** True downstream pressure, before sensor noise. */
  pressureMmHg: number
  /** Held closed by an injected fault (a clamp left shut): no nurse can fix it until the fault ends. */
  clamped: boolean
  /** Kinked or trapped under the patient: a random incident a nurse clears. */
  kinked: boolean
  airInLine: boolean
}

export function newLine(): InfusionLine {
  return { pressureMmHg: VENOUS_PRESSURE_MMHG, clamped: false, kinked: false, airInLine: false }
}

export function isOccluded(line: InfusionLine): boolean {
  return line.clamped || line.kinked
}

/** Advances the line by `dtMs` of `flowMlH`; `incidents` (the device's rng) lets kinks and air happen. */
export function stepLine(line: InfusionLine, container: Container, flowMlH: number, dtMs: number, incidents: Rng | null): void {
  if (incidents && flowMlH > 0) {
    const hours = dtMs / MS_PER_HOUR
    if (incidents.chance(KINK_PER_HOUR * hours)) line.kinked = true
    if (incidents.chance(AIR_PER_HOUR[container] * hours)) line.airInLine = true
  }
  if (isOccluded(line)) {
    // A blocked line fills with what the pump pushes.
    line.pressureMmHg += (flowMlH * dtMs) / MS_PER_HOUR / LINE_COMPLIANCE_ML_PER_MMHG[container]
    return
  }
  const open = VENOUS_PRESSURE_MMHG + LINE_RESISTANCE_MMHG_PER_ML_H * flowMlH
  line.pressureMmHg = open + (line.pressureMmHg - open) * Math.exp(-dtMs / SETTLE_MS)
}

/** What a nurse does at the bedside: straighten the line, prime out the air, release the pressure. */
export function clearLine(line: InfusionLine): void {
  line.kinked = false
  line.airInLine = false
  if (!line.clamped) line.pressureMmHg = VENOUS_PRESSURE_MMHG
}

/** The sensor reading: true pressure, sensor noise, and while fluid flows the patient's movement. */
export function measuredPressure(line: InfusionLine, flowMlH: number, noiseKey: number, now: number, rng: Rng): number {
  const movement = flowMlH > 0 ? 4 * smoothNoise(noiseKey, now, 90_000) : 0
  return round(Math.max(0, line.pressureMmHg + movement + rng.gaussian(0, 1.5)))
}
