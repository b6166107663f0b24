import { DRUGS } from '../contract/devices/drug-library.ts'
import { Rng } from '../util/rng.ts'
import { round } from '../util/numbers.ts'
import { deriveDevicePassword, hashPassword } from './passwords.ts'
import type { DeviceEntry, Patient, Registry, Trajectory } from './schema.ts'

/**
 * The ward `npm start` runs when no registry is given: an 8-bed ICU with a monitor, pump and
 * ventilator per bed, an MRI scanner, two telemedicine carts, three hospital-at-home patients and
 * environment sensors in an isolation room and a theatre. A few ICU patients deteriorate, so the
 * alert streams have something to say within the first hour.
 */
const ICU_TRAJECTORIES: { trajectory: Trajectory; onsetMinutes: number; onOxygen?: boolean; hypercapnic?: boolean }[] = [
  { trajectory: 'stable', onsetMinutes: 0 },
  { trajectory: 'sepsis', onsetMinutes: 5 },
  { trajectory: 'stable', onsetMinutes: 0, onOxygen: true, hypercapnic: true },
  { trajectory: 'respiratory-failure', onsetMinutes: 10 },
  { trajectory: 'stable', onsetMinutes: 0 },
  { trajectory: 'cardiac-arrest', onsetMinutes: 15 },
  { trajectory: 'stable', onsetMinutes: 0, onOxygen: true },
  { trajectory: 'stable', onsetMinutes: 0 },
]

const ICU_BEDS = ICU_TRAJECTORIES.map((_, i) => `icu-${String(i + 1).padStart(2, '0')}`)

export async function buildDefaultRegistry(options: {
  seed: string | number
  provisioningKey: Buffer
  cost?: Parameters<typeof hashPassword>[1]
}): Promise<Registry> {
  const rng = Rng.derive(options.seed, 'default-ward')
  const patients: Patient[] = []
  const devices: Omit<DeviceEntry, 'passwordHash'>[] = []
  const device = (entry: Omit<DeviceEntry, 'passwordHash' | 'simulated' | 'options'> & { options?: Record<string, unknown> }) =>
    devices.push({ simulated: true, options: {}, ...entry })

  ICU_TRAJECTORIES.forEach((course, i) => {
    const bed = ICU_BEDS[i]!
    const patient = makePatient(rng, `pt-icu-${String(i + 1).padStart(2, '0')}`, 'icu', bed, course)
    patients.push(patient)
    device({ id: `mon-${bed}`, kind: 'bedside-monitor', ward: 'icu', bed, patient: patient.id, options: { capnography: true } })
    device({ id: `pump-${bed}`, kind: 'infusion-pump', ward: 'icu', bed, patient: patient.id, options: pumpFor(patient) })
    device({ id: `vent-${bed}`, kind: 'ventilator', ward: 'icu', bed, patient: patient.id })
  })
  device({ id: 'tele-icu-01', kind: 'telemedicine-endpoint', ward: 'icu' })
  device({ id: 'tele-icu-02', kind: 'telemedicine-endpoint', ward: 'icu' })
  device({ id: 'env-icu-iso', kind: 'environment-sensor', ward: 'icu', options: { room: 'isolation-negative' } })
  device({ id: 'env-icu-bay', kind: 'environment-sensor', ward: 'icu', options: { room: 'general' } })
  device({ id: 'mri-01', kind: 'mri-scanner', ward: 'radiology' })
  device({ id: 'env-theatre-01', kind: 'environment-sensor', ward: 'theatres', options: { room: 'theatre' } })
  for (let i = 1; i <= 3; i++) {
    const patient = makePatient(rng, `pt-home-${String(i).padStart(2, '0')}`, 'virtual', undefined, { trajectory: 'stable', onsetMinutes: 0 })
    patients.push(patient)
    device({ id: `home-kit-${String(i).padStart(2, '0')}`, kind: 'hospital-at-home-kit', ward: 'virtual', patient: patient.id })
  }

  return {
    version: 1,
    site: 'wardlab General Hospital',
    wards: [
      { id: 'icu', name: 'Intensive Care Unit', beds: ICU_BEDS },
      { id: 'radiology', name: 'Radiology', beds: [] },
      { id: 'theatres', name: 'Operating theatres', beds: [] },
      { id: 'virtual', name: 'Virtual ward (hospital at home)', beds: [] },
    ],
    patients,
    devices: await Promise.all(
      devices.map(async (d) => ({ ...d, passwordHash: await hashPassword(deriveDevicePassword(options.provisioningKey, d.id), options.cost) })),
    ),
    users: [],
  }
}

/**
 * What each ICU pump runs, by the patient's course: the septic patient a vasopressor
 * (noradrenaline 0.1 ug/kg/min, Surviving Sepsis Campaign 2021 first-line), the patient in
 * respiratory failure, who is the one ventilated for it, sedation (propofol 2 mg/kg/h), every
 * other patient maintenance fluids (0.9 % sodium chloride 100 mL/h). Weight-based rates use the
 * patient's weight, which the pump is told so that its drug library checks the real dose.
 */
function pumpFor(patient: Patient): Record<string, unknown> {
  const weightKg = patient.weightKg
  const rate = (mlH: number) => Math.round(mlH * 10) / 10
  if (patient.trajectory === 'sepsis')
    return { drug: 'noradrenaline', rateMlH: rate((0.1 * weightKg * 60) / DRUGS.noradrenaline.concentration), patientWeightKg: weightKg }
  if (patient.trajectory === 'respiratory-failure')
    return { drug: 'propofol', rateMlH: rate((2 * weightKg) / DRUGS.propofol.concentration), patientWeightKg: weightKg }
  return { drug: 'sodium-chloride-0.9', rateMlH: DRUGS['sodium-chloride-0.9'].usualRateMlH, patientWeightKg: weightKg }
}

function makePatient(rng: Rng, id: string, ward: string, bed: string | undefined, course: (typeof ICU_TRAJECTORIES)[number]): Patient {
  return {
    id,
    ward,
    ...(bed ? { bed } : {}),
    ...demographics(rng),
    trajectory: course.trajectory,
    onsetMinutes: course.onsetMinutes,
    hypercapnic: course.hypercapnic ?? false,
    onOxygen: course.onOxygen ?? false,
  }
}

/** A plausible adult: sex, age 38–86, height by sex, BMI 20–31. */
export function demographics(rng: Rng): Pick<Patient, 'sex' | 'ageYears' | 'heightCm' | 'weightKg'> {
  const sex = rng.chance(0.5) ? 'female' : 'male'
  const heightCm = round(sex === 'female' ? rng.gaussian(163, 7) : rng.gaussian(177, 7))
  const bmi = rng.uniform(20, 31)
  return { sex, ageYears: rng.int(38, 86), heightCm, weightKg: round(bmi * (heightCm / 100) ** 2) }
}
