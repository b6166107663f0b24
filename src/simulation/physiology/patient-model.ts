import type { Patient, Trajectory } from '../../registry/schema.ts'
import { hashString } from '../../util/hash.ts'
import { deriveBaseline } from './baseline.ts'
import { AIR_FIO2, saturation } from './oxygenation.ts'
import { restingCourse } from './resting.ts'
import { cardiacArrestCourse } from './trajectories/cardiac-arrest.ts'
import { respiratoryFailureCourse } from './trajectories/respiratory-failure.ts'
import { sepsisCourse } from './trajectories/sepsis.ts'
import { stableCourse } from './trajectories/stable.ts'
import type { CourseFactory, PhysiologyState } from './trajectories/trajectory.ts'
import type { PatientModel, Rhythm, Vitals } from './vitals.ts'

const COURSES: Record<Trajectory, CourseFactory> = {
  stable: stableCourse,
  sepsis: sepsisCourse,
  'respiratory-failure': respiratoryFailureCourse,
  'cardiac-arrest': cardiacArrestCourse,
}

/** Rhythms that move no blood: the oximeter and the pulse find nothing. */
const NON_PERFUSING: ReadonlySet<Rhythm> = new Set(['ventricular-fibrillation', 'asystole'])

/**
 * One patient's physiology as a pure function of (seed, patient, time): resting baseline, daily
 * rhythm and variability, then the trajectory from `onsetMinutes` after `startMs`. There is no
 * sequential random state, so a monitor, a ventilator and a wearable on the same patient can ask
 * in any order and agree.
 */
export function createPatientModel(info: Patient, setup: { seed: string | number; startMs: number }): PatientModel {
  const runSeed = typeof setup.seed === 'number' ? setup.seed : hashString(setup.seed)
  const key = hashString(info.id, runSeed)
  const baseline = deriveBaseline(info, key)
  const resting = restingCourse(baseline, key)
  const course = COURSES[info.trajectory]({ key, info, baseline })
  const onsetMs = setup.startMs + info.onsetMinutes * 60_000
  return {
    id: info.id,
    info,
    vitalsAt(simMs) {
      const state = course(resting(simMs), { minutes: (simMs - onsetMs) / 60_000, simMs })
      return toVitals(state)
    },
  }
}

/** Derives what follows from the state and keeps every value physically possible. */
function toVitals(state: PhysiologyState): Vitals {
  const systolic = Math.max(0, state.systolic)
  const diastolic = Math.min(Math.max(0, state.diastolic), systolic)
  const heartRate = Math.max(0, state.heartRate)
  const fio2 = Math.min(1, Math.max(AIR_FIO2, state.fio2))
  return {
    heartRate,
    pulseRate: NON_PERFUSING.has(state.rhythm) ? 0 : heartRate,
    rhythm: state.rhythm,
    spo2: Math.min(100, saturation(Math.max(0, state.pfRatio), fio2)),
    respiratoryRate: Math.max(0, state.respiratoryRate),
    systolic,
    diastolic,
    // The usual estimate of mean arterial pressure: diastolic plus a third of pulse pressure.
    mean: diastolic + (systolic - diastolic) / 3,
    temperature: state.temperature,
    etco2: Math.max(0, state.etco2),
    consciousness: state.consciousness,
    fio2,
    onOxygen: fio2 > AIR_FIO2,
    lungCompliance: Math.max(1, state.lungCompliance),
    airwayResistance: Math.max(0, state.airwayResistance),
    glucose: Math.max(0, state.glucose),
  }
}
