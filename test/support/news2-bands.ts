/**
 * NEWS2 zero-point bands (RCP 2017, clinical.md) for the tests' own band checks. Deliberately
 * independent of the pipeline's NEWS2 module: these tests check the simulated physiology, not the
 * scoring code.
 */
export const ZERO_BANDS = {
  respiratoryRate: { low: 12, high: 20 },
  heartRate: { low: 51, high: 90 },
  systolic: { low: 111, high: 219 },
  temperature: { low: 36.1, high: 38.0 },
  /** Scale 1, on air. */
  spo2: { low: 96, high: 100 },
} as const
export type BandParameter = keyof typeof ZERO_BANDS

/** Charted to whole numbers, temperature to one decimal, as NEWS2 observation charts record them. */
export function inZeroBand(parameter: BandParameter, value: number): boolean {
  const charted = parameter === 'temperature' ? Math.round(value * 10) / 10 : Math.round(value)
  const band = ZERO_BANDS[parameter]
  return charted >= band.low && charted <= band.high
}

export interface Sample {
  t: number
  value: number
}

/**
 * When a parameter leaves its zero band for good: the time of the first sample after the last one
 * whose mean over the preceding `windowMs` was still inside. Null if it ends inside the band.
 */
export function departure(samples: readonly Sample[], parameter: BandParameter, windowMs: number): number | null {
  let lastInside = -1
  let from = 0
  let sum = 0
  for (let i = 0; i < samples.length; i++) {
    const sample = samples[i]!
    sum += sample.value
    while (samples[from]!.t < sample.t - windowMs) sum -= samples[from++]!.value
    if (inZeroBand(parameter, sum / (i - from + 1))) lastInside = i
  }
  return lastInside === samples.length - 1 ? null : samples[lastInside + 1]!.t
}
