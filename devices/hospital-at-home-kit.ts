import { z } from 'zod'
import { alarmSchema, statusSchema } from '../src/contract/channels.ts'
import { AlarmLatch } from '../src/simulation/alarm-latch.ts'
import type { AlarmCondition } from '../src/simulation/alarm-latch.ts'
import { defineDeviceKind } from '../src/simulation/device-kind.ts'
import type { DeviceContext, Emission, MeasurementCode } from '../src/simulation/device-kind.ts'
import type { Vitals } from '../src/simulation/physiology/vitals.ts'
import { attachedPatient, measuredNumber, noisyReading } from './measurement.ts'
import type { Sensor } from './measurement.ts'
import { MEAL_CONTEXTS, readingsDue } from './home-kit-schedule.ts'
import type { PlannedReading } from './home-kit-schedule.ts'
import { MONITOR_PARAMETERS } from './monitor-parameters.ts'

/**
 * A hospital-at-home ("virtual ward") kit: a home gateway with a wearable pulse oximeter, a BP cuff
 * and a glucose meter, on the patient's own schedule (home-kit-schedule.ts). The gateway's
 * connection comes and goes; the runner keeps readings while it is offline (`storeAndForward`),
 * and every reading carries the time it was taken, not the time it was sent.
 */

/** The gateway wakes once a minute and collects what its sensors measured since. */
const TICK_MS = 60_000

const ACCURACY = {
  // Wearable oximeters are less accurate than bedside ones (prescription devices: Arms ≤ 3 %).
  spo2: { sd: 1.5, decimals: 0, min: 0, max: 100 },
  pulseRate: { sd: 2, decimals: 0, min: 0, max: 300 },
  nibpSystolic: MONITOR_PARAMETERS.nibpSystolic.accuracy,
  nibpDiastolic: MONITOR_PARAMETERS.nibpDiastolic.accuracy,
  nibpMean: MONITOR_PARAMETERS.nibpMean.accuracy,
  // ISO 15197:2013: 95 % of readings within ±15 mg/dL below 100 mg/dL and ±15 % above; meters read 20–600.
  glucose: { sd: 7.5, decimals: 0, min: 20, max: 600 },
} as const satisfies Record<string, Sensor>

const GLUCOSE_RELATIVE_SD = 0.075

const telemetrySchema = z.discriminatedUnion('sensor', [
  z.object({ sensor: z.literal('pulse-oximeter'), spo2: measuredNumber(ACCURACY.spo2), pulseRate: measuredNumber(ACCURACY.pulseRate) }).strict(),
  z
    .object({
      sensor: z.literal('bp-cuff'),
      nibpSystolic: measuredNumber(ACCURACY.nibpSystolic),
      nibpDiastolic: measuredNumber(ACCURACY.nibpDiastolic),
      nibpMean: measuredNumber(ACCURACY.nibpMean),
      pulseRate: measuredNumber(ACCURACY.pulseRate),
    })
    .strict()
    .refine((r) => r.nibpDiastolic <= r.nibpMean && r.nibpMean <= r.nibpSystolic, 'diastolic ≤ mean ≤ systolic'),
  z.object({ sensor: z.literal('glucometer'), glucose: measuredNumber(ACCURACY.glucose), mealContext: z.enum(MEAL_CONTEXTS) }).strict(),
])
type KitReading = z.infer<typeof telemetrySchema>

const CODES: Readonly<Record<string, MeasurementCode>> = {
  spo2: MONITOR_PARAMETERS.spo2.code,
  pulseRate: MONITOR_PARAMETERS.pulseRate.code,
  nibpSystolic: MONITOR_PARAMETERS.nibpSystolic.code,
  nibpDiastolic: MONITOR_PARAMETERS.nibpDiastolic.code,
  nibpMean: MONITOR_PARAMETERS.nibpMean.code,
  // IEEE 11073-10417 glucose meter term; LOINC "Glucose [Mass/volume] in Capillary blood by Glucometer".
  glucose: { display: 'Capillary blood glucose', ucum: 'mg/dL', mdc: { code: 160184, name: 'MDC_CONC_GLU_CAPILLARY_WHOLEBLOOD' }, mdcUnit: { code: 264274, name: 'MDC_DIM_MILLI_G_PER_DL' }, loinc: ['41653-7'] },
}

const TECHNICAL = {
  SPO2_PROBE_OFF: { code: 'SPO2_PROBE_OFF', category: 'technical', priority: 'low', message: 'Wearable oximeter not on the finger' },
  LOW_BATTERY: { code: 'LOW_BATTERY', category: 'technical', priority: 'low', message: 'Wearable oximeter battery low' },
} as const satisfies Record<string, AlarmCondition>

interface KitState {
  /** Seeds this kit's schedule (which minute the patient takes each reading). */
  scheduleKey: number
  lastTickAt: number
  oximeterOff: boolean
  oximeterFlat: boolean
  alarms: AlarmLatch
}

/** One reading as the sensor takes it, or null when the wearable is off the finger or flat. */
function take(state: KitState, ctx: DeviceContext<unknown>, planned: PlannedReading, vitals: Vitals): KitReading | null {
  const read = (truth: number, sensor: Sensor) => noisyReading(ctx.rng, truth, sensor)
  switch (planned.sensor) {
    case 'pulse-oximeter':
      if (state.oximeterOff || state.oximeterFlat) return null
      return { sensor: 'pulse-oximeter', spo2: read(vitals.spo2, ACCURACY.spo2), pulseRate: read(vitals.pulseRate, ACCURACY.pulseRate) }
    case 'bp-cuff': {
      const nibpSystolic = read(vitals.systolic, ACCURACY.nibpSystolic)
      const nibpDiastolic = Math.min(read(vitals.diastolic, ACCURACY.nibpDiastolic), nibpSystolic)
      const nibpMean = Math.min(Math.max(read(vitals.mean, ACCURACY.nibpMean), nibpDiastolic), nibpSystolic)
      return { sensor: 'bp-cuff', nibpSystolic, nibpDiastolic, nibpMean, pulseRate: read(vitals.pulseRate, ACCURACY.pulseRate) }
    }
    case 'glucometer': {
      const sd = Math.max(ACCURACY.glucose.sd, GLUCOSE_RELATIVE_SD * vitals.glucose)
      return { sensor: 'glucometer', glucose: read(vitals.glucose, { ...ACCURACY.glucose, sd }), mealContext: planned.mealContext }
    }
  }
}

export const hospitalAtHomeKit = defineDeviceKind<Record<string, never>, KitState>({
  kind: 'hospital-at-home-kit',
  title: 'Hospital-at-home kit',
  description: 'Home gateway with a wearable pulse oximeter (every 5 min), a BP cuff (three times a day) and a glucose meter around meals; readings are stored while offline and sent late with their measurement time.',
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

  init(ctx, now) {
    return { scheduleKey: ctx.rng.int(0, 0x7fffffff), lastTickAt: now, oximeterOff: false, oximeterFlat: false, alarms: new AlarmLatch() }
  },

  tick(state, ctx, now) {
    const patient = attachedPatient(ctx)
    const emissions: Emission[] = []
    for (const planned of readingsDue(state.scheduleKey, state.lastTickAt, now)) {
      const reading = take(state, ctx, planned, patient.vitalsAt(planned.at))
      if (reading) emissions.push({ channel: 'telemetry', data: reading, ts: planned.at })
    }
    state.lastTickAt = now
    return emissions
  },

  fault(state, _ctx, fault, active) {
    if (fault === 'sensor-off') state.oximeterOff = active
    else state.oximeterFlat = active
    return [...state.alarms.update(TECHNICAL.SPO2_PROBE_OFF, state.oximeterOff), ...state.alarms.update(TECHNICAL.LOW_BATTERY, state.oximeterFlat)]
  },
})
