import type { Baseline } from './baseline.ts'
import { circadian, mealGlucoseRise } from './daily-rhythm.ts'
import { wobble } from './noise.ts'
import type { PhysiologyState } from './trajectories/trajectory.ts'

const SECOND = 1000
const MINUTE = 60 * SECOND

/**
 * The patient at rest at one instant: baseline moved by the daily rhythm and by variability on
 * several time scales (breath-to-breath ~20 s, autonomic drift ~5 min, slow drift ~30 min). One
 * shared autonomic signal moves heart rate, pressure and breathing together, as sympathetic tone
 * does, so the vitals are correlated rather than independent dice.
 */
export function restingState(baseline: Baseline, key: number, simMs: number): PhysiologyState {
  const noise = (name: string, periodMs: number) => wobble(key, name, simMs, periodMs)
  const rhythm = circadian(simMs)
  const arousal = noise('arousal', 5 * MINUTE)
  return {
    heartRate: baseline.heartRate + 4 * rhythm + 4 * arousal + 3 * noise('hr-fast', 20 * SECOND) + 2 * noise('hr-slow', 30 * MINUTE),
    rhythm: 'sinus',
    respiratoryRate: baseline.respiratoryRate + 0.8 * arousal + 1.2 * noise('rr-fast', 20 * SECOND),
    systolic: baseline.systolic + 4 * rhythm + 4 * arousal + 3 * noise('sbp-fast', 2 * MINUTE),
    diastolic: baseline.diastolic + 3 * rhythm + 3 * arousal + 2.5 * noise('dbp-fast', 2 * MINUTE),
    temperature: baseline.temperature + baseline.temperatureSwing * rhythm + 0.08 * noise('temp', 20 * MINUTE),
    // Aroused patients breathe a little more and blow off CO2.
    etco2: baseline.etco2 - arousal + 1.5 * noise('etco2', MINUTE),
    consciousness: 'alert',
    fio2: baseline.fio2,
    pfRatio: baseline.pfRatio * (1 + 0.04 * noise('pf-slow', 5 * MINUTE) + 0.02 * noise('pf-fast', 20 * SECOND)),
    lungCompliance: baseline.lungCompliance * (1 + 0.03 * noise('compliance', 10 * MINUTE)),
    airwayResistance: baseline.airwayResistance * (1 + 0.05 * noise('resistance', 5 * MINUTE)),
    glucose: baseline.fastingGlucose + mealGlucoseRise(simMs, baseline.mealGlucoseRise) + 4 * noise('glucose', 30 * MINUTE),
  }
}
