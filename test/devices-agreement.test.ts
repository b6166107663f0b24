import { describe, expect, it } from 'vitest'
import { bedsideMonitor } from '../devices/bedside-monitor.ts'
import { hospitalAtHomeKit } from '../devices/hospital-at-home-kit.ts'
import type { MonitorReading } from '../src/contract/devices/monitor-parameters.ts'
import { ventilator } from '../devices/ventilator.ts'
import { patientModel, session, telemetryIn } from './support/patient-devices.ts'

/** Differences between two devices' readings of one quantity at the same instants. */
function differences(a: Map<number, number>, b: Map<number, number>): number[] {
  return [...b].flatMap(([ts, value]) => (a.has(ts) ? [value - a.get(ts)!] : []))
}
const byTime = <T extends { ts: number }>(readings: T[], pick: (r: T) => number | undefined) =>
  new Map(readings.flatMap((r) => (pick(r) === undefined ? [] : [[r.ts, pick(r)!] as const])))
const mean = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length

describe('devices on one patient', () => {
  it('agree within measurement noise while the patient deteriorates', () => {
    // Sepsis moves HR from about 70 to 120 and RR from 15 to 30: agreement must track the change, not a constant.
    const patient = patientModel({ id: 'shared', trajectory: 'sepsis', onsetMinutes: 10 }, { seed: 21 })
    const monitor = session(bedsideMonitor, { patient, deviceId: 'mon-01' })
    const vent = session(ventilator, { patient, deviceId: 'vent-01', options: { mode: 'PSV' } })
    const kit = session(hospitalAtHomeKit, { patient, deviceId: 'kit-01' })
    const hours = 5
    monitor.tick(hours * 3600)
    vent.tick(hours * 3600)
    kit.tick(hours * 60)

    const monitorReadings = telemetryIn<MonitorReading>(monitor.emissions)
    const kitOximetry = telemetryIn<{ sensor: string; spo2?: number; pulseRate?: number }>(kit.emissions).filter((r) => r.sensor === 'pulse-oximeter')
    const ventReadings = telemetryIn<{ totalRate: number }>(vent.emissions)

    const spo2 = differences(
      byTime(monitorReadings, (r) => r.spo2),
      byTime(kitOximetry, (r) => r.spo2),
    )
    const pulse = differences(
      byTime(monitorReadings, (r) => r.heartRate),
      byTime(kitOximetry, (r) => r.pulseRate),
    )
    const breathing = differences(
      byTime(monitorReadings, (r) => r.respiratoryRate),
      byTime(ventReadings, (r) => r.totalRate),
    )
    expect(spo2.length).toBe(hours * 12)
    expect(breathing.length).toBe((hours * 3600) / 5)
    // Bedside SpO2 error SD 1, wearable 1.5: combined about 1.8 plus rounding.
    expect(Math.abs(mean(spo2))).toBeLessThan(1)
    expect(Math.max(...spo2.map(Math.abs))).toBeLessThanOrEqual(7)
    expect(Math.abs(mean(pulse))).toBeLessThan(1.5)
    expect(Math.max(...pulse.map(Math.abs))).toBeLessThanOrEqual(9)
    // In pressure support the ventilator counts the patient's own breaths, as the monitor's impedance channel does.
    expect(Math.abs(mean(breathing))).toBeLessThan(0.5)
    expect(Math.max(...breathing.map(Math.abs))).toBeLessThanOrEqual(5)
    // And the shared truth really moved.
    const heartRates = monitorReadings.map((r) => r.heartRate!)
    expect(Math.max(...heartRates) - Math.min(...heartRates)).toBeGreaterThan(35)
  })
})
