import { z } from 'zod'
import { alarmSchema, statusSchema } from '../channels.ts'
import { defineDeviceContract } from '../device-contract.ts'
import type { MeasurementCode } from '../device-contract.ts'
import { measuredNumber } from '../measured-number.ts'
import type { Sensor } from '../measured-number.ts'
import { MONITOR_PARAMETERS } from './monitor-parameters.ts'

/**
 * The contract of a hospital-at-home ("virtual ward") kit: a home gateway that forwards readings
 * of a wearable pulse oximeter, a BP cuff and a glucose meter, each reading with the time it was
 * taken, late when the gateway was offline (`storeAndForward`).
 */

/** The gateway wakes once a minute and collects what its sensors measured since. */
const TICK_MS = 60_000

/** When a glucose reading was taken relative to meals, as the meter records it. */
export const MEAL_CONTEXTS = ['fasting', 'before-meal', 'after-meal', 'bedtime'] as const
export type MealContext = (typeof MEAL_CONTEXTS)[number]

/** Accuracy, resolution and range of the kit's sensors. */
export const KIT_ACCURACY = {
  // Wearable oximeters are less accurate than bedside ones (prescription devices: Arms ≤ 3 %).
  spo2: { sd: 1.5, decimals: 0, min: 0, max: 100 },
  pulseRate: { sd: 2, decimals: 0, min: 0, max: 300 },
  nibpSystolic: MONITOR_PARAMETERS.nibpSystolic.accuracy,
  nibpDiastolic: MONITOR_PARAMETERS.nibpDiastolic.accuracy,
  nibpMean: MONITOR_PARAMETERS.nibpMean.accuracy,
  // ISO 15197:2013: 95 % of readings within ±15 mg/dL below 100 mg/dL and ±15 % above; meters read 20–600.
  glucose: { sd: 7.5, decimals: 0, min: 20, max: 600 },
} as const satisfies Record<string, Sensor>

const telemetrySchema = z.discriminatedUnion('sensor', [
  z.object({ sensor: z.literal('pulse-oximeter'), spo2: measuredNumber(KIT_ACCURACY.spo2), pulseRate: measuredNumber(KIT_ACCURACY.pulseRate) }).strict(),
  z
    .object({
      sensor: z.literal('bp-cuff'),
      nibpSystolic: measuredNumber(KIT_ACCURACY.nibpSystolic),
      nibpDiastolic: measuredNumber(KIT_ACCURACY.nibpDiastolic),
      nibpMean: measuredNumber(KIT_ACCURACY.nibpMean),
      pulseRate: measuredNumber(KIT_ACCURACY.pulseRate),
    })
    .strict()
    .refine((r) => r.nibpDiastolic <= r.nibpMean && r.nibpMean <= r.nibpSystolic, 'diastolic ≤ mean ≤ systolic'),
  z.object({ sensor: z.literal('glucometer'), glucose: measuredNumber(KIT_ACCURACY.glucose), mealContext: z.enum(MEAL_CONTEXTS) }).strict(),
])
export type KitReading = z.infer<typeof telemetrySchema>

const CODES: Readonly<Record<string, MeasurementCode>> = {
  spo2: MONITOR_PARAMETERS.spo2.code,
  pulseRate: MONITOR_PARAMETERS.pulseRate.code,
  nibpSystolic: MONITOR_PARAMETERS.nibpSystolic.code,
  nibpDiastolic: MONITOR_PARAMETERS.nibpDiastolic.code,
  nibpMean: MONITOR_PARAMETERS.nibpMean.code,
  // IEEE 11073-10417 glucose meter term; LOINC "Glucose [Mass/volume] in Capillary blood by Glucometer".
  glucose: {
    display: 'Capillary blood glucose',
    ucum: 'mg/dL',
    mdc: { code: 160184, name: 'MDC_CONC_GLU_CAPILLARY_WHOLEBLOOD' },
    mdcUnit: { code: 264274, name: 'MDC_DIM_MILLI_G_PER_DL' },
    loinc: ['41653-7'],
  },
}

export const hospitalAtHomeKitContract = defineDeviceContract<Record<string, never>>({
  kind: 'hospital-at-home-kit',
  title: 'Hospital-at-home kit',
  description:
    'Home gateway with a wearable pulse oximeter (every 5 min), a BP cuff (three times a day) and a glucose meter around meals; readings are stored while offline and sent late with their measurement time.',
  needsPatient: true,
  optionsSchema: z.object({}).strict(),
  schemas: {
    telemetry: telemetrySchema,
    status: statusSchema,
    alarm: alarmSchema,
    // The kit takes no commands and reports no events.
    event: z.never(),
  },
  // Sparse readings that a clinician reviews must all arrive, late or not.
  qos: { telemetry: 1, status: 1, alarm: 1, event: 1 },
  codes: CODES,
  tickMs: () => TICK_MS,
  storeAndForward: true,
})
