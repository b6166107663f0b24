import { patientDraw, signal } from '../noise.ts'
import { progress } from './trajectory.ts'
import type { CourseFactory } from './trajectory.ts'

/**
 * In-hospital cardiac arrest after 1–4 h of warning signs: 59 % of patients had HR ≤ 60 or ≥ 100,
 * RR > 20 or SBP ≤ 90 in that window, and high-risk trajectories show low, fluctuating pressure,
 * high (or low) fluctuating heart rate, recurring tachypnoea and low, fluctuating SpO2
 * (clinical.md). Then the heart stops: VF or asystole, no pulse, pressure collapses, breathing
 * stops after a few agonal gasps and the blood desaturates. No resuscitation is simulated.
 */

/** Minutes over which the warning signs emerge after onset. */
const WARNING_RAMP_MINUTES = 20

export const cardiacArrestCourse: CourseFactory = ({ key, baseline }) => {
  const draw = (name: string, min: number, max: number) => patientDraw(key, name, min, max)
  const arrestAfter = draw('arrest-after', 85, 225)
  const bradycardic = draw('arrest-bradycardic', 0, 1) < 0.25
  const rhythm = draw('arrest-rhythm', 0, 1) < 0.8 ? 'ventricular-fibrillation' : 'asystole'
  const warningHr = bradycardic ? draw('arrest-hr', 48, 54) : draw('arrest-hr', 106, 116)
  const warningSbp = draw('arrest-sbp', 82, 88)
  const hrSwing = signal(key, 'arrest-hr-swing', 120_000)
  const tachypnoeaBursts = signal(key, 'arrest-rr-bursts', 600_000)
  const pressureSwing = signal(key, 'arrest-bp-swing', 240_000)
  const spo2Swing = signal(key, 'arrest-spo2-swing', 300_000)

  return (resting, { minutes, simMs }) => {
    if (minutes <= 0) return resting
    if (minutes >= arrestAfter) {
      const since = minutes - arrestAfter
      return {
        ...resting,
        rhythm,
        // No QRS complexes to count in VF or asystole.
        heartRate: 0,
        // Without a pumping heart arterial pressure falls to the mean circulatory filling pressure within seconds.
        systolic: 15 + (resting.systolic - 15) * Math.exp(-since / 0.2),
        diastolic: 8 + (resting.diastolic - 8) * Math.exp(-since / 0.2),
        // A few agonal gasps over the first two minutes, then apnoea.
        respiratoryRate: since < 2 ? 4 * (1 - since / 2) : 0,
        etco2: resting.etco2 * Math.max(0, 1 - since / 2),
        // Unconscious within about 15 s of circulatory arrest.
        consciousness: since >= 0.25 ? 'unresponsive' : resting.consciousness,
        pfRatio: resting.pfRatio * (0.2 + 0.8 * Math.exp(-since / 2.5)),
      }
    }
    const warning = progress(minutes, 0, WARNING_RAMP_MINUTES)
    const worsening = minutes / arrestAfter
    const hrTarget = warningHr + (bradycardic ? -6 : 8) * worsening
    // Recurring bursts of tachypnoea rather than a steady rise.
    const tachypnoea = 5 + 4 * worsening + 4 * Math.max(0, tachypnoeaBursts(simMs))
    const swing = pressureSwing(simMs)
    return {
      ...resting,
      heartRate: resting.heartRate + warning * (hrTarget - baseline.heartRate + 7 * hrSwing(simMs)),
      respiratoryRate: resting.respiratoryRate + warning * tachypnoea,
      systolic: resting.systolic + warning * (warningSbp - 6 * worsening - baseline.systolic + 10 * swing),
      diastolic: resting.diastolic + warning * (52 - baseline.diastolic + 5 * swing),
      pfRatio: resting.pfRatio * (1 - warning * (0.2 + 0.1 * worsening + 0.08 * spo2Swing(simMs))),
      consciousness: worsening > 0.85 ? 'confusion' : resting.consciousness,
    }
  }
}
