import { patientDraw, signal } from '../noise.ts'
import { progress, through } from './trajectory.ts'
import type { CourseFactory } from './trajectory.ts'

/**
 * Sepsis progressing to septic shock over 3–6 h when nobody intervenes. Rising respiratory
 * rate and fever come first, then tachycardia, then falling and unstable pressure, then altered
 * mentation (clinical.md: rising RR and falling or unstable MAP precede deterioration; qSOFA is RR
 * ≥ 22, SBP ≤ 100, altered mentation). Each parameter is pinned to reach its NEWS2 band edge at a
 * fixed fraction of the course, so the order of crossings is the clinical one whatever the patient.
 */

/** Fractions of the course at which each NEWS2 parameter leaves its zero band. */
export const SEPSIS_BAND_CROSSING = {
  respiratoryRate: 0.08,
  temperature: 0.12,
  heartRate: 0.3,
  systolic: 0.6,
  consciousness: 0.9,
} as const

/** NEWS2 zero-band edges the course crosses (first value scoring a point). */
const RR_ABNORMAL = 21
const FEVER = 38.1
const HYPOTHERMIA = 36.0
const HR_ABNORMAL = 91
const SBP_ABNORMAL = 110

export const sepsisCourse: CourseFactory = ({ key, baseline }) => {
  const draw = (name: string, min: number, max: number) => patientDraw(key, name, min, max)
  const duration = draw('sepsis-duration', 180, 360)
  // About one septic patient in seven is hypothermic rather than febrile, with worse outcomes.
  const hypothermic = draw('sepsis-hypothermic', 0, 1) < 0.15
  const crossAt = (parameter: keyof typeof SEPSIS_BAND_CROSSING) => SEPSIS_BAND_CROSSING[parameter] * duration
  const offsets = (parameter: keyof typeof SEPSIS_BAND_CROSSING, resting: number, edge: number, final: number) =>
    [
      [0, 0],
      [crossAt(parameter), edge - resting],
      [duration, final - resting],
    ] as const

  const rr = offsets('respiratoryRate', baseline.respiratoryRate, RR_ABNORMAL, draw('sepsis-rr', 26, 32))
  // Fever climbs fast once it starts (rigors), then creeps up; hypothermia mirrors it.
  const temperatureTowards = (edge: number, early: number, final: number) =>
    [
      [0, 0],
      [crossAt('temperature'), edge - baseline.temperature],
      [0.25 * duration, early - baseline.temperature],
      [duration, final - baseline.temperature],
    ] as const
  const temperature = hypothermic
    ? temperatureTowards(HYPOTHERMIA, 35.6, draw('sepsis-temp', 35.0, 35.4))
    : temperatureTowards(FEVER, 39.0, draw('sepsis-temp', 39.3, 40.0))
  const hr = offsets('heartRate', baseline.heartRate, HR_ABNORMAL, draw('sepsis-hr', 118, 135))
  const sbp = offsets('systolic', baseline.systolic, SBP_ABNORMAL, draw('sepsis-sbp', 78, 88))
  // Vasodilatation drops diastolic pressure too: shock ends near 40–48 mm[Hg].
  const dbp = [
    [0, 0],
    [crossAt('systolic'), -0.25 * (baseline.diastolic - 40)],
    [duration, draw('sepsis-dbp', 40, 48) - baseline.diastolic],
  ] as const

  const pressureSwing = signal(key, 'sepsis-bp-swing', 180_000)

  return (resting, { minutes, simMs }) => {
    if (minutes <= 0) return resting
    const course = Math.min(1, minutes / duration)
    // Unstable pressure: swings over a few minutes that grow as shock sets in.
    const swing = 7 * course * pressureSwing(simMs)
    return {
      ...resting,
      respiratoryRate: resting.respiratoryRate + through(rr, minutes),
      temperature: resting.temperature + through(temperature, minutes),
      heartRate: resting.heartRate + through(hr, minutes),
      systolic: resting.systolic + through(sbp, minutes) + swing,
      diastolic: resting.diastolic + through(dbp, minutes) + 0.6 * swing,
      // Hyperventilation and falling cardiac output both lower end-tidal CO2.
      etco2: resting.etco2 - 8 * progress(minutes, 0, duration),
      // Sepsis-associated lung injury: oxygenation worsens in the second half.
      pfRatio: resting.pfRatio * (1 - 0.3 * progress(minutes, 0.5 * duration, duration)),
      lungCompliance: resting.lungCompliance * (1 - 0.2 * progress(minutes, 0.5 * duration, duration)),
      // Stress hyperglycaemia.
      glucose: resting.glucose + 50 * progress(minutes, 0, duration),
      consciousness: minutes >= crossAt('consciousness') ? 'confusion' : resting.consciousness,
    }
  }
}
