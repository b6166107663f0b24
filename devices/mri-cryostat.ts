import type { MagnetDesign } from '../src/contract/devices/mri-scanner.ts'
import type { Rng } from '../src/util/rng.ts'

/**
 * The MRI magnet's cryostat: liquid helium keeping the coil superconducting, a radiation shield
 * cooled by the cold head, and what happens when the cold head stops. Physics only; the scanner
 * (mri-scanner.ts) decides what to report and alarm. Figures from clinical.md unless marked assumed.
 */

const MS_PER_HOUR = 3_600_000
/**
 * Conventional 1.5 T magnets hold about 1,700 L of liquid helium, sealed designs about 7 L. With the
 * cold head running, boil-off is near zero (healthy under 0.03 L/h). Without it the heat leak boils
 * helium freely (assumed: about 2 %/day for a conventional magnet, days of ride-through for a sealed one).
 */
export const MAGNETS = {
  conventional: { capacityL: 1700, healthyBoilOffLh: [0.005, 0.025], coldHeadOffBoilOffLh: 1.5 },
  sealed: { capacityL: 7, healthyBoilOffLh: [0, 0.0005], coldHeadOffBoilOffLh: 0.05 },
} as const satisfies Record<MagnetDesign, { capacityL: number; healthyBoilOffLh: readonly [number, number]; coldHeadOffBoilOffLh: number }>

/** Liquid helium boils at 4.2 K at atmospheric pressure; the cold head keeps the radiation shield near 40 K. */
export const MAGNET_K = 4.2
const SHIELD_K = 40
/** A stopped cold head lets the shield warm towards about 80 K (assumed), about 2 K/h at first. */
const SHIELD_WARM_K = 80
const SHIELD_TAU_H = { warming: 20, cooling: 3 }
/** Below this the coil is no longer fully immersed and the magnet quenches (assumed). */
const QUENCH_BELOW_PCT = 15
/** A quench boils most of the remaining helium off within a minute. */
const QUENCH_VENTED_FRACTION = 0.9

export interface Cryostat {
  design: MagnetDesign
  heliumL: number
  shieldK: number
  magnetK: number
  coldHeadRunning: boolean
  quenched: boolean
  /** This magnet's own boil-off with a working cold head. */
  healthyBoilOffLh: number
}

export function newCryostat(design: MagnetDesign, levelPct: number, rng: Rng): Cryostat {
  const magnet = MAGNETS[design]
  return {
    design,
    heliumL: (levelPct / 100) * magnet.capacityL,
    shieldK: SHIELD_K,
    magnetK: MAGNET_K,
    coldHeadRunning: true,
    quenched: false,
    healthyBoilOffLh: rng.uniform(magnet.healthyBoilOffLh[0], magnet.healthyBoilOffLh[1]),
  }
}

export function boilOffLh(c: Cryostat): number {
  if (c.heliumL <= 0) return 0
  if (c.coldHeadRunning && !c.quenched) return c.healthyBoilOffLh
  // Without recondensing every watt of heat leak boils helium, and more as the shield warms.
  return MAGNETS[c.design].coldHeadOffBoilOffLh * (1 + (c.shieldK - SHIELD_K) / SHIELD_K)
}

export function levelPct(c: Cryostat): number {
  return (c.heliumL / MAGNETS[c.design].capacityL) * 100
}

/** How fast the level falls, in % of capacity per day: what remote monitoring calls "falling too fast". */
export function lossPctPerDay(c: Cryostat): number {
  return (boilOffLh(c) / MAGNETS[c.design].capacityL) * 100 * 24
}

/** Advances by `dtMs`; returns the litres of liquid helium vented if the magnet quenched in this step. */
export function stepCryostat(c: Cryostat, dtMs: number): number | null {
  const hours = dtMs / MS_PER_HOUR
  c.heliumL = Math.max(0, c.heliumL - boilOffLh(c) * hours)
  const [shieldTarget, tauH] = c.coldHeadRunning ? [SHIELD_K, SHIELD_TAU_H.cooling] : [SHIELD_WARM_K, SHIELD_TAU_H.warming]
  c.shieldK = shieldTarget + (c.shieldK - shieldTarget) * Math.exp(-hours / tauH)
  // A quenched coil is no longer in a helium bath and drifts towards the shield's temperature.
  if (c.quenched) c.magnetK = c.shieldK + (c.magnetK - c.shieldK) * Math.exp(-hours / 2)
  if (c.quenched || levelPct(c) >= QUENCH_BELOW_PCT) return null
  c.quenched = true
  const ventedL = c.heliumL * QUENCH_VENTED_FRACTION
  c.heliumL -= ventedL
  return ventedL
}
