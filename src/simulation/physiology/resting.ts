import type { Baseline } from './baseline.ts'
import { circadian, mealGlucoseRise } from './daily-rhythm.ts'
import { signal } from './noise.ts'
import type { PhysiologyState } from './trajectories/trajectory.ts'

const SECOND = 1000
const MINUTE = 60 * SECOND

/**
 * The patient at rest at any instant: baseline moved by the daily rhythm and by variability on
 * several time scales (breath-to-breath ~20 s, autonomic drift ~5 min, slow drift ~30 min). One
 * shared autonomic signal moves heart rate, pressure and breathing together, as sympathetic tone
 * does, so the vitals are correlated rather than independent dice.
 */
export function restingCourse(baseline: Baseline, key: number): (simMs: number) => PhysiologyState {
  const arousal = signal(key, 'arousal', 5 * MINUTE)
  const hrFast = signal(key, 'hr-fast', 20 * SECOND)
  const hrSlow = signal(key, 'hr-slow', 30 * MINUTE)
  const rrFast = signal(key, 'rr-fast', 20 * SECOND)
  const sbpFast = signal(key, 'sbp-fast', 2 * MINUTE)
  const dbpFast = signal(key, 'dbp-fast', 2 * MINUTE)
  const temperature = signal(key, 'temp', 20 * MINUTE)
  const etco2 = signal(key, 'etco2', MINUTE)
  const pfSlow = signal(key, 'pf-slow', 5 * MINUTE)
  const pfFast = signal(key, 'pf-fast', 20 * SECOND)
  const compliance = signal(key, 'compliance', 10 * MINUTE)
  const resistance = signal(key, 'resistance', 5 * MINUTE)
  const glucose = signal(key, 'glucose', 30 * MINUTE)

  return (simMs) => {
    const rhythm = circadian(simMs)
    const tone = arousal(simMs)
    return {
      heartRate: baseline.heartRate + 4 * rhythm + 4 * tone + 3 * hrFast(simMs) + 2 * hrSlow(simMs),
      rhythm: 'sinus',
      respiratoryRate: baseline.respiratoryRate + 0.8 * tone + 1.2 * rrFast(simMs),
      systolic: baseline.systolic + 4 * rhythm + 4 * tone + 3 * sbpFast(simMs),
      diastolic: baseline.diastolic + 3 * rhythm + 3 * tone + 2.5 * dbpFast(simMs),
      temperature: baseline.temperature + baseline.temperatureSwing * rhythm + 0.08 * temperature(simMs),
      // Aroused patients breathe a little more and blow off CO2.
      etco2: baseline.etco2 - tone + 1.5 * etco2(simMs),
      consciousness: 'alert',
      fio2: baseline.fio2,
      pfRatio: baseline.pfRatio * (1 + 0.04 * pfSlow(simMs) + 0.02 * pfFast(simMs)),
      lungCompliance: baseline.lungCompliance * (1 + 0.03 * compliance(simMs)),
      airwayResistance: baseline.airwayResistance * (1 + 0.05 * resistance(simMs)),
      glucose: baseline.fastingGlucose + mealGlucoseRise(simMs, baseline.mealGlucoseRise) + 4 * glucose(simMs),
    }
  }
}
