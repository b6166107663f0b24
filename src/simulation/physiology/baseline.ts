import type { Patient } from '../../registry/schema.ts'
import { AIR_FIO2 } from './oxygenation.ts'
import { patientDraw } from './noise.ts'

/**
 * A patient's resting values, before rhythm and noise: chosen inside the NEWS2 zero-point bands
 * (clinical.md) from age and sex, with a per-patient draw so two similar patients still differ.
 */
export interface Baseline {
  heartRate: number
  respiratoryRate: number
  systolic: number
  diastolic: number
  /** 24-hour mean core temperature, °C. */
  temperature: number
  /** Half the daily peak-to-trough swing, °C (the whole swing is more than 0.5 °C). */
  temperatureSwing: number
  etco2: number
  pfRatio: number
  fio2: number
  lungCompliance: number
  airwayResistance: number
  fastingGlucose: number
  /** Glucose rise at the peak after a meal, mg/dL. */
  mealGlucoseRise: number
}

export function deriveBaseline(info: Patient, key: number): Baseline {
  const draw = (name: string, min: number, max: number) => patientDraw(key, name, min, max)
  const agesPast20 = Math.max(0, info.ageYears - 20)
  const fio2 = info.onOxygen ? (info.hypercapnic ? 0.28 : draw('fio2', 0.28, 0.4)) : AIR_FIO2
  return {
    // Resting adult heart rate is a few beats higher in women.
    heartRate: draw('hr', 62, 76) + (info.sex === 'female' ? 3 : 0),
    respiratoryRate: draw('rr', 13.5, 17),
    // Systolic pressure rises with age while diastolic barely moves, widening pulse pressure.
    systolic: draw('sbp', 118, 130) + 0.3 * agesPast20,
    diastolic: draw('dbp', 66, 76) + 0.05 * agesPast20,
    temperature: draw('temp', 36.7, 36.9),
    temperatureSwing: draw('temp-swing', 0.3, 0.4),
    // Confirmed hypercapnic patients retain CO2; their EtCO2 sits well above 45.
    etco2: info.hypercapnic ? draw('etco2', 50, 56) : draw('etco2', 36, 40),
    pfRatio: arterialOxygen(info, draw) / fio2,
    fio2,
    lungCompliance: draw('compliance', 50, 70),
    airwayResistance: draw('resistance', 8, 12),
    fastingGlucose: draw('glucose', 82, 102),
    mealGlucoseRise: draw('meal-glucose', 30, 55),
  }
}

/**
 * Resting PaO2 (mm[Hg]) that puts SpO2 where each group lives: 88–92 % for hypercapnic patients
 * (NEWS2 scale 2 target), about 95–97 % for patients who need oxygen, 96–98 % on air, falling
 * slowly with age.
 */
function arterialOxygen(info: Patient, draw: (name: string, min: number, max: number) => number): number {
  if (info.hypercapnic) return draw('pao2', 58, 63)
  if (info.onOxygen) return draw('pao2', 80, 92)
  return draw('pao2', 92, 104) - 0.12 * Math.max(0, info.ageYears - 20)
}
