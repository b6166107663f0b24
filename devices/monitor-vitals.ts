import type { MonitorField } from '../src/contract/devices/monitor-parameters.ts'
import type { Vitals } from '../src/simulation/physiology/vitals.ts'

/** The numeric vitals, i.e. what a sensor can measure. */
type NumericVital = { [K in keyof Vitals]: Vitals[K] extends number ? K : never }[keyof Vitals]

/** The patient's true value each monitor field measures, before the sensor's error and resolution. */
export const MONITOR_VITALS: Readonly<Record<MonitorField, NumericVital>> = {
  heartRate: 'heartRate',
  pulseRate: 'pulseRate',
  spo2: 'spo2',
  respiratoryRate: 'respiratoryRate',
  temperature: 'temperature',
  nibpSystolic: 'systolic',
  nibpDiastolic: 'diastolic',
  nibpMean: 'mean',
  etco2: 'etco2',
}
