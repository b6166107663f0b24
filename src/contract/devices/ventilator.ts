import { z } from 'zod'
import { alarmSchema, commandAckSchema, commandBaseSchema, statusSchema } from '../channels.ts'
import { defineDeviceContract } from '../device-contract.ts'
import type { MeasurementCode } from '../device-contract.ts'
import { measuredNumber } from '../measured-number.ts'
import type { Sensor } from '../measured-number.ts'

/**
 * The contract of an ICU ventilator: breath values and settings every few seconds, pressure,
 * minute-volume and disconnection alarms, and guarded setting commands (clinical.md, "Ventilator").
 */

const TICK_MS = 1000

export const VENT_MODES = ['VC-AC', 'PC-AC', 'PSV'] as const
export type VentMode = (typeof VENT_MODES)[number]

/** Lung-protective ventilation: 6 mL/kg predicted body weight, 4–8 allowed. */
export const PROTECTIVE_ML_PER_KG = { usual: 6, min: 4, max: 8 } as const

/** Setting limits the device refuses to go beyond. */
export const VENT_HARD_LIMITS = { peep: { min: 0, max: 30 }, fio2Pct: { min: 21, max: 100 } } as const

/** Accuracy, resolution and range of what the ventilator measures. */
export const VENT_ACCURACY = {
  tidalVolume: { sd: 8, decimals: 0, min: 0, max: 2000 },
  totalRate: { sd: 0, decimals: 0, min: 0, max: 80 },
  pressure: { sd: 0.5, decimals: 0, min: 0, max: 120 },
  minuteVolume: { sd: 0, decimals: 1, min: 0, max: 60 },
  ieRatio: { sd: 0, decimals: 2, min: 0.05, max: 4 },
} as const satisfies Record<string, Sensor>

const optionsSchema = z
  .object({
    mode: z.enum(VENT_MODES).default('VC-AC'),
    rate: z.number().int().min(6).max(40).default(16),
    tidalVolumeMlPerKg: z.number().min(PROTECTIVE_ML_PER_KG.min).max(PROTECTIVE_ML_PER_KG.max).default(PROTECTIVE_ML_PER_KG.usual),
    ieRatio: z.number().min(0.25).max(1).default(0.5),
    /** VC-AC inspiratory flow, L/min (40–60 is usual for adults). */
    inspiratoryFlow: z.number().min(10).max(120).default(50),
    limits: z
      .object({
        /** Airway pressure alarm, cm[H2O]: above the 30 cm[H2O] plateau ceiling plus a resistive share. */
        peakPressureHigh: z.number().min(10).max(80).default(40),
        /** L/min; 60 % of the set minute volume when left out. */
        minuteVolumeLow: z.number().min(0.5).max(30).optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict()
export type VentOptions = z.infer<typeof optionsSchema>

const commandSchema = z.discriminatedUnion('action', [
  commandBaseSchema.extend({ action: z.literal('set-mode'), mode: z.enum(VENT_MODES) }).strict(),
  commandBaseSchema.extend({ action: z.literal('set-peep'), peep: z.number().finite() }).strict(),
  commandBaseSchema.extend({ action: z.literal('set-fio2'), fio2: z.number().finite() }).strict(),
  commandBaseSchema.extend({ action: z.literal('set-tidal-volume'), tidalVolume: z.number().finite() }).strict(),
])
export type VentCommand = z.infer<typeof commandSchema>

const telemetrySchema = z
  .object({
    mode: z.enum(VENT_MODES),
    setTidalVolume: z.int().min(20).max(1000),
    setRate: z.int().min(6).max(40),
    peep: z.int().min(VENT_HARD_LIMITS.peep.min).max(VENT_HARD_LIMITS.peep.max),
    fio2: z.int().min(VENT_HARD_LIMITS.fio2Pct.min).max(VENT_HARD_LIMITS.fio2Pct.max),
    tidalVolume: measuredNumber(VENT_ACCURACY.tidalVolume),
    totalRate: measuredNumber(VENT_ACCURACY.totalRate),
    peakPressure: measuredNumber(VENT_ACCURACY.pressure),
    /** Absent while disconnected: there is no end-inspiratory hold to measure. */
    plateauPressure: measuredNumber(VENT_ACCURACY.pressure).optional(),
    minuteVolume: measuredNumber(VENT_ACCURACY.minuteVolume),
    ieRatio: measuredNumber(VENT_ACCURACY.ieRatio),
  })
  .strict()
export type VentTelemetry = z.infer<typeof telemetrySchema>

const CODES: Readonly<Record<string, MeasurementCode>> = {
  setTidalVolume: { display: 'Set tidal volume', ucum: 'mL' },
  setRate: { display: 'Set mandatory rate', ucum: '/min' },
  peep: { display: 'PEEP', ucum: 'cm[H2O]', mdc: { code: 151976, name: 'MDC_VENT_PRESS_AWAY_END_EXP_POS' }, mdcUnit: { code: 266048, name: 'MDC_DIM_CM_H2O' } },
  fio2: { display: 'FiO2', ucum: '%', mdc: { code: 152196, name: 'MDC_CONC_AWAY_O2_INSP' }, mdcUnit: { code: 262688, name: 'MDC_DIM_PERCENT' } },
  tidalVolume: { display: 'Tidal volume', ucum: 'mL', mdc: { code: 151980, name: 'MDC_VENT_VOL_TIDAL' }, mdcUnit: { code: 263762, name: 'MDC_DIM_MILLI_L' } },
  totalRate: {
    display: 'Total respiratory rate',
    ucum: '/min',
    mdc: { code: 151586, name: 'MDC_VENT_RESP_RATE' },
    mdcUnit: { code: 264928, name: 'MDC_DIM_RESP_PER_MIN' },
  },
  peakPressure: {
    display: 'Peak airway pressure',
    ucum: 'cm[H2O]',
    mdc: { code: 151973, name: 'MDC_VENT_PRESS_AWAY_MAX' },
    mdcUnit: { code: 266048, name: 'MDC_DIM_CM_H2O' },
  },
  plateauPressure: {
    display: 'Plateau pressure',
    ucum: 'cm[H2O]',
    mdc: { code: 152424, name: 'MDC_VENT_PRESS_RESP_PLAT' },
    mdcUnit: { code: 266048, name: 'MDC_DIM_CM_H2O' },
  },
  minuteVolume: {
    display: 'Minute volume',
    ucum: 'L/min',
    mdc: { code: 151996, name: 'MDC_VENT_VOL_MINUTE' },
    mdcUnit: { code: 265216, name: 'MDC_DIM_X_L_PER_MIN' },
  },
  ieRatio: { display: 'I:E ratio (inspiratory / expiratory time)', ucum: '1' },
}

export const ventilatorContract = defineDeviceContract<VentOptions>({
  kind: 'ventilator',
  title: 'ICU ventilator',
  description:
    'Volume or pressure control or pressure support with lung-protective settings, PEEP/FiO2 table, breath mechanics from the patient, pressure, minute-volume and disconnection alarms.',
  needsPatient: true,
  optionsSchema,
  schemas: { telemetry: telemetrySchema, status: statusSchema, alarm: alarmSchema, event: commandAckSchema, cmd: commandSchema },
  qos: { telemetry: 0, status: 1, alarm: 1, event: 1 },
  codes: CODES,
  tickMs: () => TICK_MS,
  storeAndForward: false,
  settings: ['mode', 'setTidalVolume', 'setRate', 'peep', 'fio2'],
})
