import type { Consciousness } from '../contract/consciousness.ts'

/**
 * National Early Warning Score 2 (Royal College of Physicians, 2017), exactly as the chart in
 * shared/reference/clinical.md scores it. Pure: the same observation always gives the same result.
 *
 * Measured values are rounded first, the way a nurse records them on the chart, so a device's
 * 20.6 breaths/min scores like the charted 21 and never falls between two bands:
 * respiratory rate, SpO2, systolic BP and pulse to whole numbers, temperature to one decimal,
 * halves rounded up (see `chartRound`).
 *
 * Missing parameters contribute nothing and are listed in `missing`, with `complete: false`.
 * Every sub-score is ≥ 0, so an incomplete aggregate is a lower bound of the full score and its
 * band the lowest the patient can be in: a consumer may escalate on it but must not reassure on it.
 */

export const NEWS2_PARAMETERS = ['respiratoryRate', 'spo2', 'onOxygen', 'systolic', 'pulse', 'consciousness', 'temperature'] as const
export type News2Parameter = (typeof NEWS2_PARAMETERS)[number]

/** Scale 2 is only for confirmed hypercapnic respiratory failure (target SpO2 88–92 %). */
export type News2Scale = 1 | 2

export interface News2Observation {
  /** breaths /min */
  respiratoryRate?: number
  /** % */
  spo2?: number
  /** Supplemental oxygen (any device); false is room air. */
  onOxygen?: boolean
  /** mm[Hg] */
  systolic?: number
  /** /min */
  pulse?: number
  /** ACVPU: new confusion counts like Voice, Pain and Unresponsive. */
  consciousness?: Consciousness
  /** °C */
  temperature?: number
  scale: News2Scale
}

/**
 * The RCP 2017 clinical risk bands, named after the chart's response column:
 * - `routine`: aggregate 0 (routine monitoring, at least 12-hourly)
 * - `low`: aggregate 1–4 with no single parameter scoring 3 (ward assessment)
 * - `low-medium`: a single parameter scoring 3 while the aggregate is below 5 (urgent ward review)
 * - `medium`: aggregate 5–6 (urgent review within 1 h, at least hourly observations)
 * - `high`: aggregate 7 or more (emergency assessment, continuous monitoring)
 */
export const NEWS2_BANDS = ['routine', 'low', 'low-medium', 'medium', 'high'] as const
export type News2Band = (typeof NEWS2_BANDS)[number]

export interface News2Result {
  scale: News2Scale
  /** Sub-score of every parameter that was present. */
  subScores: Partial<Record<News2Parameter, number>>
  /** 0–20; a lower bound when `complete` is false. */
  aggregate: number
  /** Some parameter scored 3 (the single-parameter trigger). */
  singleParameterThree: boolean
  band: News2Band
  /** All seven parameters were present. */
  complete: boolean
  /** Parameters left out of the aggregate, in chart order. */
  missing: News2Parameter[]
}

/** Bands as [highest value in the band, score], ascending; the last band is open-ended. */
type Bands = readonly (readonly [number, number])[]

const RESPIRATORY_RATE: Bands = [
  [8, 3],
  [11, 1],
  [20, 0],
  [24, 2],
  [Infinity, 3],
]
const SPO2_SCALE_1: Bands = [
  [91, 3],
  [93, 2],
  [95, 1],
  [Infinity, 0],
]
/** Scale 2 below 93 %: the same on air and on oxygen. */
const SPO2_SCALE_2_LOW: Bands = [
  [83, 3],
  [85, 2],
  [87, 1],
  [Infinity, 0],
]
/** Scale 2 at 93 % and above on oxygen: over-oxygenation risks CO2 retention in these patients. */
const SPO2_SCALE_2_ON_OXYGEN_HIGH: Bands = [
  [94, 1],
  [96, 2],
  [Infinity, 3],
]
const SYSTOLIC: Bands = [
  [90, 3],
  [100, 2],
  [110, 1],
  [219, 0],
  [Infinity, 3],
]
const PULSE: Bands = [
  [40, 3],
  [50, 1],
  [90, 0],
  [110, 1],
  [130, 2],
  [Infinity, 3],
]
const TEMPERATURE: Bands = [
  [35.0, 3],
  [36.0, 1],
  [38.0, 0],
  [39.0, 1],
  [Infinity, 2],
]
const OXYGEN_SCORE = 2
const NOT_ALERT_SCORE = 3

function scoreInBands(value: number, bands: Bands): number {
  // Indexed, not `for (const [highest, score] of bands)`: that allocated an iterator result per
  // band on a path every vital sign takes (a tenth of the pipeline's allocation, heap sampling).
  for (let i = 0; i < bands.length; i++) if (value <= bands[i]![0]) return bands[i]![1]
  throw new RangeError(`${value} is outside every NEWS2 band`)
}

/**
 * Round half up to `decimals`, as a value is written on the chart. Binary noise must not move a
 * half down: 38.05 is stored as 38.04999…, and a plain `Math.round(38.05 * 10)` would chart it as
 * 38.0.
 */
export function chartRound(value: number, decimals: number): number {
  const factor = 10 ** decimals
  const scaled = value * factor
  // A relative nudge far below any chart's resolution restores the half (and costs far less than
  // a round trip through toPrecision, on a path that runs for every vital sign).
  return Math.round(scaled + Math.abs(scaled) * 1e-12) / factor
}

function scoreSpo2(spo2: number, scale: News2Scale, onOxygen: boolean | undefined): number {
  if (scale === 1) return scoreInBands(spo2, SPO2_SCALE_1)
  // Scale 2 scores ≥ 93 % only on oxygen; with the oxygen state unknown it scores as on air,
  // which keeps an incomplete aggregate a lower bound.
  if (spo2 >= 93 && onOxygen === true) return scoreInBands(spo2, SPO2_SCALE_2_ON_OXYGEN_HIGH)
  return scoreInBands(spo2, SPO2_SCALE_2_LOW)
}

function subScore(parameter: News2Parameter, obs: News2Observation): number | undefined {
  switch (parameter) {
    case 'respiratoryRate':
      return obs.respiratoryRate === undefined ? undefined : scoreInBands(chartRound(obs.respiratoryRate, 0), RESPIRATORY_RATE)
    case 'spo2':
      return obs.spo2 === undefined ? undefined : scoreSpo2(chartRound(obs.spo2, 0), obs.scale, obs.onOxygen)
    case 'onOxygen':
      return obs.onOxygen === undefined ? undefined : obs.onOxygen ? OXYGEN_SCORE : 0
    case 'systolic':
      return obs.systolic === undefined ? undefined : scoreInBands(chartRound(obs.systolic, 0), SYSTOLIC)
    case 'pulse':
      return obs.pulse === undefined ? undefined : scoreInBands(chartRound(obs.pulse, 0), PULSE)
    case 'consciousness':
      return obs.consciousness === undefined ? undefined : obs.consciousness === 'alert' ? 0 : NOT_ALERT_SCORE
    case 'temperature':
      return obs.temperature === undefined ? undefined : scoreInBands(chartRound(obs.temperature, 1), TEMPERATURE)
  }
}

/** The RCP 2017 response thresholds; the single-parameter trigger only matters below 5. */
export function news2Band(aggregate: number, singleParameterThree: boolean): News2Band {
  if (aggregate >= 7) return 'high'
  if (aggregate >= 5) return 'medium'
  if (singleParameterThree) return 'low-medium'
  if (aggregate >= 1) return 'low'
  return 'routine'
}

export function scoreNews2(obs: News2Observation): News2Result {
  const subScores: Partial<Record<News2Parameter, number>> = {}
  const missing: News2Parameter[] = []
  let aggregate = 0
  let singleParameterThree = false
  for (const parameter of NEWS2_PARAMETERS) {
    const value = obs[parameter]
    // A NaN from a faulty sensor is no measurement; scoring it would silently give 0 or 3.
    const score = typeof value === 'number' && Number.isNaN(value) ? undefined : subScore(parameter, obs)
    if (score === undefined) {
      missing.push(parameter)
      continue
    }
    subScores[parameter] = score
    aggregate += score
    if (score === 3) singleParameterThree = true
  }
  return {
    scale: obs.scale,
    subScores,
    aggregate,
    singleParameterThree,
    band: news2Band(aggregate, singleParameterThree),
    complete: missing.length === 0,
    missing,
  }
}
