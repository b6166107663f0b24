import { PROTECTIVE_ML_PER_KG } from '../src/contract/devices/ventilator.ts'
import type { VentMode } from '../src/contract/devices/ventilator.ts'
import type { Patient } from '../src/registry/schema.ts'

/**
 * Single-compartment respiratory mechanics (equation of motion: P = V/C + R·flow + PEEP) and the
 * settings a clinician derives from the patient: lung-protective tidal volume and the PEEP/FiO2
 * table (clinical.md, "Ventilator" and "Respiratory failure").
 */

/** Predicted body weight, kg: male 50 + 0.91 × (height − 152.4), female 45.5 + 0.91 × (height − 152.4). */
export function predictedBodyWeight(patient: Pick<Patient, 'sex' | 'heightCm'>): number {
  return (patient.sex === 'male' ? 50 : 45.5) + 0.91 * (patient.heightCm - 152.4)
}

/** Tidal volume for `mlPerKg`, rounded to the 10 mL steps a ventilator's set knob takes. */
export function protectiveTidalVolume(patient: Pick<Patient, 'sex' | 'heightCm'>, mlPerKg: number = PROTECTIVE_ML_PER_KG.usual): number {
  return Math.round((predictedBodyWeight(patient) * mlPerKg) / 10) * 10
}

/** The simplified PEEP/FiO2 table: FiO2 and PEEP (cm[H2O]) step together. */
export const PEEP_FIO2_TABLE = [
  { fio2: 0.3, peep: 8 },
  { fio2: 0.4, peep: 10 },
  { fio2: 0.5, peep: 12 },
  { fio2: 0.6, peep: 14 },
  { fio2: 0.7, peep: 16 },
  { fio2: 0.8, peep: 18 },
  { fio2: 0.9, peep: 20 },
  { fio2: 1.0, peep: 22 },
] as const

/** Below this SpO2 the table is stepped up once more (oxygenation goal SpO2 88–95 %). */
const SPO2_FLOOR = 88

/** The table row for the oxygen the patient needs now. */
export function oxygenationStep(fio2Need: number, spo2: number): (typeof PEEP_FIO2_TABLE)[number] {
  const last = PEEP_FIO2_TABLE.length - 1
  const covering = PEEP_FIO2_TABLE.findIndex((row) => row.fio2 >= fio2Need - 1e-9)
  const row = covering < 0 ? last : covering
  return PEEP_FIO2_TABLE[Math.min(last, spo2 < SPO2_FLOOR ? row + 1 : row)]!
}

export interface VentSettings {
  mode: VentMode
  /** mL, delivered in VC-AC. */
  tidalVolume: number
  /** Mandatory breaths /min (AC modes; apnoea backup in PSV). */
  rate: number
  peep: number
  /** Fraction 0.21–1. */
  fio2: number
  /** Inspiratory pressure above PEEP in PC-AC, cm[H2O]. */
  inspiratoryPressure: number
  /** Pressure support above PEEP in PSV, cm[H2O]. */
  pressureSupport: number
  /** Set I:E as inspiratory / expiratory time (0.5 = 1:2). */
  ieRatio: number
  /** Constant inspiratory flow in VC-AC, L/min; an end-inspiratory pause fills the rest of the set inspiratory time. */
  inspiratoryFlow: number
}

export interface Lungs {
  /** mL/cm[H2O] */
  compliance: number
  /** cm[H2O]/L/s */
  resistance: number
  /** The patient's own breathing rate, /min. */
  spontaneousRate: number
}

export interface Breath {
  tidalVolume: number
  totalRate: number
  peakPressure: number
  plateauPressure: number
  minuteVolume: number
  ieRatio: number
}

/** Shortest expiration a breath can have before the next is triggered, s. */
const MIN_EXPIRATION_S = 0.3

function timeConstant(lungs: Lungs): number {
  return lungs.resistance * (lungs.compliance / 1000)
}

/** Whether the patient breathes for themselves; in PSV an apnoeic patient gets backup breaths at the set rate. */
function spontaneous(settings: VentSettings, lungs: Lungs): boolean {
  return settings.mode === 'PSV' && lungs.spontaneousRate >= 1
}

/**
 * Inspiratory time, s: the set I:E share of the set cycle for mandatory breaths; for supported
 * breaths the time for flow to fall to 25 % of its peak (a common cycle-off default), τ·ln 4.
 */
function inspiratoryTime(settings: VentSettings, lungs: Lungs): number {
  if (spontaneous(settings, lungs)) return timeConstant(lungs) * Math.log(4)
  return ((60 / settings.rate) * settings.ieRatio) / (1 + settings.ieRatio)
}

/** Share of the pressure-limited volume C·ΔP a breath of `inspiration` s reaches: 1 − e^(−t/τ). */
function filling(inspiration: number, lungs: Lungs): number {
  return 1 - Math.exp(-inspiration / timeConstant(lungs))
}

/**
 * One representative breath. Volume control pushes the set volume at constant flow (faster if the
 * set flow cannot fit it into the inspiratory time), so peak = plateau + R × flow; pressure control and support hold a pressure while flow decays with
 * τ = R·C, so peak = PEEP + ΔP and the flow left at the end is small.
 */
export function deliverBreath(settings: VentSettings, lungs: Lungs): Breath {
  const totalRate = spontaneous(settings, lungs) ? lungs.spontaneousRate : Math.max(settings.rate, lungs.spontaneousRate)
  const inspiration = inspiratoryTime(settings, lungs)
  const drivingPressure = settings.mode === 'PSV' ? settings.pressureSupport : settings.inspiratoryPressure
  const tidalVolume = settings.mode === 'VC-AC' ? settings.tidalVolume : lungs.compliance * drivingPressure * filling(inspiration, lungs)
  const plateauPressure = settings.peep + tidalVolume / lungs.compliance
  const endFlow =
    settings.mode === 'VC-AC'
      ? Math.max(settings.inspiratoryFlow / 60, tidalVolume / 1000 / inspiration)
      : (drivingPressure / lungs.resistance) * (1 - filling(inspiration, lungs))
  const expiration = Math.max(MIN_EXPIRATION_S, 60 / totalRate - inspiration)
  return {
    tidalVolume,
    totalRate,
    peakPressure: plateauPressure + lungs.resistance * endFlow,
    plateauPressure,
    minuteVolume: (tidalVolume * totalRate) / 1000,
    ieRatio: inspiration / expiration,
  }
}

/** The pressure above PEEP that gives `tidalVolume` in these lungs: how a clinician sets PC-AC or PSV. */
export function pressureFor(tidalVolume: number, settings: VentSettings, lungs: Lungs): number {
  return tidalVolume / (lungs.compliance * filling(inspiratoryTime(settings, lungs), lungs))
}
