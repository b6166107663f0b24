import { patientDraw } from '../noise.ts'
import { AIR_FIO2, saturation } from '../oxygenation.ts'
import { progress, through } from './trajectory.ts'
import type { CourseFactory } from './trajectory.ts'

/**
 * Respiratory failure (pneumonia heading to ARDS) over 3–8 h: oxygenation and lung compliance
 * fall, respiratory rate rises, EtCO2 first falls with tachypnoea and then rises as the patient
 * tires (hypercapnic patients retain CO2 from the start). Staff respond to falling saturation by
 * stepping oxygen up, a little late each time, so SpO2 saws down and recovers until even high
 * oxygen no longer holds it.
 */

/** Oxygen the ward can give, from nasal cannula through Venturi masks to a non-rebreather. */
const OXYGEN_STEPS = [AIR_FIO2, 0.24, 0.28, 0.32, 0.36, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0] as const

/** SpO2 staff aim to keep: 94 % usually, 88 % for hypercapnic patients (BTS 2017; NEWS2 scale 2). */
const TARGET_SPO2 = { usual: 94, hypercapnic: 88 } as const

export const respiratoryFailureCourse: CourseFactory = ({ key, info, baseline }) => {
  const draw = (name: string, min: number, max: number) => patientDraw(key, name, min, max)
  const duration = draw('resp-duration', 180, 480)
  // Severe ARDS by the end: P/F well under 100 (Berlin definition), beyond what ward oxygen can hold.
  const finalPf = draw('resp-final-pf', 45, 65)
  const responseDelay = draw('resp-response-delay', 8, 20)
  const target = info.hypercapnic ? TARGET_SPO2.hypercapnic : TARGET_SPO2.usual
  const finalRr = draw('resp-rr', 30, 36)

  /** Fraction of the patient's own P/F ratio left at `minutes`. */
  const oxygenation = (minutes: number) => {
    const left = finalPf / baseline.pfRatio
    return 1 - (1 - left) * progress(minutes, 0, duration)
  }
  /** The lowest step that would have met the target when staff last looked. */
  const fio2At = (minutes: number) => {
    const seenPf = baseline.pfRatio * oxygenation(minutes - responseDelay)
    const steps = OXYGEN_STEPS.filter((step) => step >= baseline.fio2)
    return steps.find((step) => saturation(seenPf, step) >= target) ?? 1.0
  }
  // Type 1 failure washes CO2 out until fatigue; a hypercapnic patient only retains more.
  const etco2 = info.hypercapnic
    ? ([
        [0, 0],
        [duration, draw('resp-etco2', 15, 25)],
      ] as const)
    : ([
        [0, 0],
        [0.5 * duration, -6],
        [0.65 * duration, -4],
        [duration, draw('resp-etco2', 8, 14)],
      ] as const)

  return (resting, { minutes }) => {
    if (minutes <= 0) return resting
    const course = progress(minutes, 0, duration)
    return {
      ...resting,
      pfRatio: resting.pfRatio * oxygenation(minutes),
      fio2: Math.max(resting.fio2, fio2At(minutes)),
      respiratoryRate: resting.respiratoryRate + (finalRr - baseline.respiratoryRate) * course,
      etco2: resting.etco2 + through(etco2, minutes),
      heartRate: resting.heartRate + 25 * course,
      systolic: resting.systolic + 8 * course,
      lungCompliance: resting.lungCompliance * (1 - 0.55 * course),
      airwayResistance: resting.airwayResistance * (1 + 0.3 * course),
      consciousness: course >= 0.9 ? 'confusion' : resting.consciousness,
    }
  }
}
