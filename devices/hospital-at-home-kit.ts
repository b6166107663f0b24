import { KIT_ACCURACY, hospitalAtHomeKitContract } from '../src/contract/devices/hospital-at-home-kit.ts'
import type { KitReading } from '../src/contract/devices/hospital-at-home-kit.ts'
import type { Sensor } from '../src/contract/measured-number.ts'
import { AlarmLatch } from '../src/simulation/alarm-latch.ts'
import type { AlarmCondition } from '../src/simulation/alarm-latch.ts'
import { defineDeviceKind } from '../src/simulation/device-kind.ts'
import type { DeviceContext, Emission } from '../src/simulation/device-kind.ts'
import type { Vitals } from '../src/simulation/physiology/vitals.ts'
import { readingsDue } from './home-kit-schedule.ts'
import type { PlannedReading } from './home-kit-schedule.ts'
import { attachedPatient, noisyReading } from './measurement.ts'

/**
 * How a simulated hospital-at-home ("virtual ward") kit behaves (its contract:
 * src/contract/devices/hospital-at-home-kit.ts): a home gateway with a wearable pulse oximeter, a
 * BP cuff and a glucose meter, on the patient's own schedule (home-kit-schedule.ts). The gateway's
 * connection comes and goes; the runner keeps readings while it is offline (`storeAndForward`),
 * and every reading carries the time it was taken, not the time it was sent.
 */

/** Above about 100 mg/dL a glucose meter's error grows with the value (ISO 15197: ±15 %). */
const GLUCOSE_RELATIVE_SD = 0.075

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
      return { sensor: 'pulse-oximeter', spo2: read(vitals.spo2, KIT_ACCURACY.spo2), pulseRate: read(vitals.pulseRate, KIT_ACCURACY.pulseRate) }
    case 'bp-cuff': {
      const nibpSystolic = read(vitals.systolic, KIT_ACCURACY.nibpSystolic)
      const nibpDiastolic = Math.min(read(vitals.diastolic, KIT_ACCURACY.nibpDiastolic), nibpSystolic)
      const nibpMean = Math.min(Math.max(read(vitals.mean, KIT_ACCURACY.nibpMean), nibpDiastolic), nibpSystolic)
      return { sensor: 'bp-cuff', nibpSystolic, nibpDiastolic, nibpMean, pulseRate: read(vitals.pulseRate, KIT_ACCURACY.pulseRate) }
    }
    case 'glucometer': {
      const sd = Math.max(KIT_ACCURACY.glucose.sd, GLUCOSE_RELATIVE_SD * vitals.glucose)
      return { sensor: 'glucometer', glucose: read(vitals.glucose, { ...KIT_ACCURACY.glucose, sd }), mealContext: planned.mealContext }
    }
  }
}

export const hospitalAtHomeKit = defineDeviceKind<Record<string, never>, KitState>(hospitalAtHomeKitContract, {
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
