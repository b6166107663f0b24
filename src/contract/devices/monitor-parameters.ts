import { z } from 'zod'
import type { MeasurementCode } from '../device-contract.ts'
import { measuredNumber } from '../measured-number.ts'
import type { Sensor } from '../measured-number.ts'

/**
 * What a bedside monitor measures: per telemetry field its codes (clinical.md, "Measurement
 * codes"), the sensor that provides it, and its accuracy, resolution and measuring range. Which
 * simulated vital each field reads is behaviour (devices/monitor-vitals.ts).
 */

/** The monitor's sensors; a field disappears from telemetry when its sensor is off. */
export type MonitorSensor = 'ecg' | 'oximeter' | 'thermometer' | 'cuff' | 'capnograph'

export interface MonitorParameter {
  code: MeasurementCode
  sensor: MonitorSensor
  accuracy: Sensor
}

export const MONITOR_PARAMETERS = {
  heartRate: {
    code: {
      display: 'Heart rate (ECG)',
      ucum: '/min',
      mdc: { code: 147842, name: 'MDC_ECG_HEART_RATE' },
      mdcUnit: { code: 264864, name: 'MDC_DIM_BEAT_PER_MIN' },
      loinc: ['8867-4'],
      vitalSign: true,
    },
    sensor: 'ecg',
    // QRS counting: about ±1 /min; 0 when there are no QRS complexes (asystole, VF).
    accuracy: { sd: 1, decimals: 0, min: 0, max: 350 },
  },
  pulseRate: {
    code: {
      display: 'Pulse rate (oximeter)',
      ucum: '/min',
      mdc: { code: 149530, name: 'MDC_PULS_OXIM_PULS_RATE' },
      mdcUnit: { code: 264864, name: 'MDC_DIM_BEAT_PER_MIN' },
      loinc: ['8889-8'],
      vitalSign: true,
    },
    sensor: 'oximeter',
    accuracy: { sd: 1.5, decimals: 0, min: 0, max: 350 },
  },
  spo2: {
    code: {
      display: 'SpO2',
      ucum: '%',
      mdc: { code: 150456, name: 'MDC_PULS_OXIM_SAT_O2' },
      mdcUnit: { code: 262688, name: 'MDC_DIM_PERCENT' },
      loinc: ['59408-5', '2708-6'],
      vitalSign: true,
    },
    sensor: 'oximeter',
    // ISO 80601-2-61 lets oximeters claim an Arms of up to 4 % over 70–100 %; good sensors reach about 2 %.
    accuracy: { sd: 1, decimals: 0, min: 0, max: 100 },
  },
  respiratoryRate: {
    code: {
      display: 'Respiratory rate',
      ucum: '/min',
      mdc: { code: 151562, name: 'MDC_RESP_RATE' },
      mdcUnit: { code: 264928, name: 'MDC_DIM_RESP_PER_MIN' },
      loinc: ['9279-1'],
      vitalSign: true,
    },
    // Impedance pneumography through the ECG electrodes: leads off loses it too.
    sensor: 'ecg',
    accuracy: { sd: 1, decimals: 0, min: 0, max: 150 },
  },
  temperature: {
    code: {
      display: 'Body temperature',
      ucum: 'Cel',
      mdc: { code: 150364, name: 'MDC_TEMP_BODY' },
      mdcUnit: { code: 268192, name: 'MDC_DIM_DEGC' },
      loinc: ['8310-5'],
      vitalSign: true,
    },
    sensor: 'thermometer',
    accuracy: { sd: 0.05, decimals: 1, min: 25, max: 45 },
  },
  nibpSystolic: {
    code: {
      display: 'NIBP systolic',
      ucum: 'mm[Hg]',
      mdc: { code: 150021, name: 'MDC_PRESS_BLD_NONINV_SYS' },
      mdcUnit: { code: 266016, name: 'MDC_DIM_MMHG' },
      loinc: ['8480-6'],
      vitalSign: true,
    },
    sensor: 'cuff',
    // ISO 81060-2 validation allows a mean error of ±5 mm[Hg] with a standard deviation up to 8.
    accuracy: { sd: 4, decimals: 0, min: 0, max: 300 },
  },
  nibpDiastolic: {
    code: {
      display: 'NIBP diastolic',
      ucum: 'mm[Hg]',
      mdc: { code: 150022, name: 'MDC_PRESS_BLD_NONINV_DIA' },
      mdcUnit: { code: 266016, name: 'MDC_DIM_MMHG' },
      loinc: ['8462-4'],
      vitalSign: true,
    },
    sensor: 'cuff',
    accuracy: { sd: 4, decimals: 0, min: 0, max: 250 },
  },
  nibpMean: {
    code: {
      display: 'NIBP mean',
      ucum: 'mm[Hg]',
      mdc: { code: 150023, name: 'MDC_PRESS_BLD_NONINV_MEAN' },
      mdcUnit: { code: 266016, name: 'MDC_DIM_MMHG' },
      loinc: ['8478-0'],
      vitalSign: true,
    },
    sensor: 'cuff',
    accuracy: { sd: 3, decimals: 0, min: 0, max: 270 },
  },
  etco2: {
    code: {
      display: 'End-tidal CO2',
      ucum: 'mm[Hg]',
      mdc: { code: 151728, name: 'MDC_AWAY_CO2_ET' },
      mdcUnit: { code: 266016, name: 'MDC_DIM_MMHG' },
      loinc: ['19889-5'],
    },
    sensor: 'capnograph',
    accuracy: { sd: 1, decimals: 0, min: 0, max: 150 },
  },
} as const satisfies Record<string, MonitorParameter>

export type MonitorField = keyof typeof MONITOR_PARAMETERS
export const MONITOR_FIELDS = Object.keys(MONITOR_PARAMETERS) as MonitorField[]
export type MonitorReading = Partial<Record<MonitorField, number>>

export const MONITOR_CODES: Readonly<Record<string, MeasurementCode>> = Object.fromEntries(
  MONITOR_FIELDS.map((field): [string, MeasurementCode] => [field, MONITOR_PARAMETERS[field].code]),
)

const NIBP_FIELDS = ['nibpSystolic', 'nibpDiastolic', 'nibpMean'] as const

/**
 * Telemetry `data`: any subset of the fields (a sensor may be off, NIBP only on a cuff cycle),
 * each inside its measuring range at its resolution. A cuff reading comes whole and ordered
 * (diastolic ≤ mean ≤ systolic); anything else is not a blood pressure.
 */
export const monitorTelemetrySchema = z
  .object(
    Object.fromEntries(MONITOR_FIELDS.map((field) => [field, measuredNumber(MONITOR_PARAMETERS[field].accuracy).optional()])) as Record<
      MonitorField,
      z.ZodOptional<z.ZodType<number>>
    >,
  )
  .strict()
  .refine((t) => {
    const present = NIBP_FIELDS.filter((f) => t[f] !== undefined).length
    if (present === 0) return true
    return present === 3 && t.nibpDiastolic! <= t.nibpMean! && t.nibpMean! <= t.nibpSystolic!
  }, 'NIBP systolic, diastolic and mean come together with diastolic ≤ mean ≤ systolic')
