import type { Consciousness } from '../../contract/consciousness.ts'
import type { Patient } from '../../registry/schema.ts'

export const RHYTHMS = ['sinus', 'atrial-fibrillation', 'ventricular-tachycardia', 'ventricular-fibrillation', 'asystole'] as const
export type Rhythm = (typeof RHYTHMS)[number]

/**
 * The true physiological state of one patient at one instant, before any device measures it.
 * Devices add their own measurement noise and resolution; the truth is shared, so a monitor, a
 * ventilator and a wearable on one patient agree.
 */
export interface Vitals {
  /** Electrical heart rate (ECG), /min. */
  heartRate: number
  /** Perfusing pulse, /min; 0 when the rhythm does not perfuse (VF, asystole). */
  pulseRate: number
  rhythm: Rhythm
  /** %, 0–100. */
  spo2: number
  /** Spontaneous breaths /min (0 in apnoea). */
  respiratoryRate: number
  /** mm[Hg] */
  systolic: number
  diastolic: number
  mean: number
  /** Core temperature, °C. */
  temperature: number
  /** End-tidal CO2, mm[Hg]. */
  etco2: number
  consciousness: Consciousness
  /** Inspired oxygen fraction, 0.21 on room air. */
  fio2: number
  onOxygen: boolean
  /** Static respiratory-system compliance, mL/cm[H2O]; falls in ARDS and pneumonia. */
  lungCompliance: number
  /** Airway resistance, cm[H2O]/L/s. */
  airwayResistance: number
  /** Capillary blood glucose, mg/dL. */
  glucose: number
}

/** One simulated patient: a pure function from simulated time to vitals. */
export interface PatientModel {
  readonly id: string
  readonly info: Patient
  /** Deterministic for a given seed and time, whatever order or how often it is asked. */
  vitalsAt(simMs: number): Vitals
}
