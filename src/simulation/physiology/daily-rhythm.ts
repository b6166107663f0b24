/**
 * Daily rhythms on the simulation's UTC clock: core temperature (and the autonomic tone that moves
 * heart rate and blood pressure with it) and meal-driven glucose.
 */

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS

/**
 * Core temperature is lowest around 02:00–04:30 and highest in the late afternoon (clinical.md,
 * "Vital-sign dynamics"). The rise and the fall are unequal, so a plain sine would put the peak at
 * 16:00; two cosine half-waves meet smoothly at both extremes instead.
 */
export const TEMPERATURE_NADIR_HOUR = 4
export const TEMPERATURE_PEAK_HOUR = 17

/** The circadian phase in [-1, 1]: -1 at the nadir, +1 at the peak. */
export function circadian(simMs: number): number {
  const hour = (((simMs % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS
  const rising = TEMPERATURE_PEAK_HOUR - TEMPERATURE_NADIR_HOUR
  const sinceNadir = (hour - TEMPERATURE_NADIR_HOUR + 24) % 24
  const fraction = sinceNadir <= rising ? sinceNadir / rising : 1 + (sinceNadir - rising) / (24 - rising)
  return -Math.cos(fraction * Math.PI)
}

/** Usual meal times (UTC hours); the home kit plans its glucose readings around them. */
export const MEAL_HOURS = [7.5, 12.5, 18.5] as const

/** Minutes from a meal to the peak of capillary glucose (a mixed meal peaks after 30–60 min). */
const GLUCOSE_PEAK_MINUTES = 50

/**
 * Glucose above fasting caused by recent meals, peaking at `amplitude` mg/dL about 50 min after
 * each meal and fading over 3–4 h (a gamma-shaped absorption curve).
 */
export function mealGlucoseRise(simMs: number, amplitude: number): number {
  const dayStart = Math.floor(simMs / DAY_MS) * DAY_MS
  let rise = 0
  for (const day of [dayStart - DAY_MS, dayStart]) {
    for (const hour of MEAL_HOURS) {
      const minutes = (simMs - (day + hour * HOUR_MS)) / 60_000
      if (minutes <= 0) continue
      const x = minutes / GLUCOSE_PEAK_MINUTES
      rise += amplitude * x * Math.exp(1 - x)
    }
  }
  return rise
}
