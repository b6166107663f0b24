import { describe, expect, it } from 'vitest'
import type { CommandAck } from '../src/contract/channels.ts'
import { TRAJECTORIES } from '../src/registry/schema.ts'
import { bedsideMonitor } from '../devices/bedside-monitor.ts'
import type { MonitorReading } from '../src/contract/devices/monitor-parameters.ts'
import { departure } from './support/news2-bands.ts'
import type { BandParameter } from './support/news2-bands.ts'
import { HOUR, MINUTE, START, alarmsIn, patientModel, recording, rejected, reportedOnChange, session, telemetryIn } from './support/patient-devices.ts'

type Reading = MonitorReading & { ts: number }

describe('bedside monitor', () => {
  it('emits only what its own schemas accept, over 10,000 messages per trajectory', () => {
    for (const trajectory of TRAJECTORIES) {
      // Onset an hour before the device starts, so the 10,000 s window reaches every arrest time (85–225 min).
      const patient = patientModel({ id: `p-${trajectory}`, trajectory }, { startMs: START - HOUR })
      const monitor = session(bedsideMonitor, { patient, options: { capnography: true, transport: true, nibpIntervalMin: 5 } })
      monitor.tick(10_000)
      expect(monitor.emissions.length, trajectory).toBeGreaterThanOrEqual(10_000)
      expect(rejected(bedsideMonitor, monitor.emissions), trajectory).toEqual([])
      expect(reportedOnChange(alarmsIn(monitor.emissions)), trajectory).toBe(true)
    }
  })

  it('refuses physically impossible telemetry', () => {
    const schema = bedsideMonitor.schemas.telemetry
    expect(schema.safeParse({ heartRate: 0, pulseRate: 0, spo2: 31, respiratoryRate: 0 }).success).toBe(true)
    expect(schema.safeParse({ spo2: 101 }).success).toBe(false)
    expect(schema.safeParse({ heartRate: -3 }).success).toBe(false)
    expect(schema.safeParse({ heartRate: 72.5 }).success).toBe(false)
    expect(schema.safeParse({ nibpSystolic: 80, nibpDiastolic: 95, nibpMean: 88 }).success).toBe(false)
    expect(schema.safeParse({ nibpSystolic: 120 }).success).toBe(false)
    expect(schema.safeParse({ heartRate: 70, ecgLabel: 'sinus' }).success).toBe(false)
  })

  it('is deterministic per seed', () => {
    const run = (seed: number) => recording(bedsideMonitor, { seed, ticks: 1800, trajectory: 'sepsis' })
    expect(run(3)).toBe(run(3))
    expect(run(3)).not.toBe(run(4))
  })

  it('publishes NIBP only on the cuff cycle and EtCO2 only with capnography', () => {
    const monitor = session(bedsideMonitor, { patient: patientModel({ id: 'cuff' }), options: { nibpIntervalMin: 15 } })
    monitor.tick(3600)
    const readings = telemetryIn<MonitorReading>(monitor.emissions)
    expect(readings).toHaveLength(3600)
    const cuff = readings.filter((r) => r.nibpSystolic !== undefined)
    expect(cuff.map((r) => (r.ts - cuff[0]!.ts) / MINUTE)).toEqual([0, 15, 30, 45])
    expect(readings.every((r) => r.etco2 === undefined && r.heartRate !== undefined && r.spo2 !== undefined && r.temperature !== undefined)).toBe(true)
  })

  it('raises a high-priority physiological alarm when the heart arrests', () => {
    const patient = patientModel({ id: 'arrest', trajectory: 'cardiac-arrest' }, { startMs: START - HOUR })
    const monitor = session(bedsideMonitor, { patient })
    monitor.tick(4 * 3600)
    const arrestAt = telemetryIn<Reading>(monitor.emissions).find((r) => r.pulseRate === 0 && r.heartRate === 0)!.ts
    const lethal = alarmsIn(monitor.emissions).filter((a) => a.priority === 'high' && a.category === 'physiological' && a.active)
    expect(lethal.map((a) => a.code)).toEqual(expect.arrayContaining([expect.stringMatching(/^(ASYSTOLE|VFIB_VTACH)$/), 'APNEA']))
    const rhythmAlarm = lethal.find((a) => a.code === 'ASYSTOLE' || a.code === 'VFIB_VTACH')!
    // Declared after the 4 s asystole/VF delay, not before the arrest.
    expect(rhythmAlarm.ts - arrestAt).toBeGreaterThanOrEqual(3000)
    expect(rhythmAlarm.ts - arrestAt).toBeLessThanOrEqual(6000)
  })

  it('shows sepsis crossing NEWS2 bands in clinical order: RR and temperature, HR, then SBP', () => {
    for (const seed of [1, 2, 3]) {
      const monitor = session(bedsideMonitor, {
        patient: patientModel({ id: 'septic', trajectory: 'sepsis', onsetMinutes: 20 }, { seed }),
        options: { nibpIntervalMin: 5 },
        seed,
      })
      monitor.tick(7 * 3600)
      const readings = telemetryIn<Reading>(monitor.emissions)
      const leaves = (parameter: BandParameter, field: keyof MonitorReading, windowMs: number) =>
        departure(
          readings.filter((r) => r[field] !== undefined).map((r) => ({ t: r.ts, value: r[field]! })),
          parameter,
          windowMs,
        )
      const rr = leaves('respiratoryRate', 'respiratoryRate', 10 * MINUTE)!
      const temperature = leaves('temperature', 'temperature', 10 * MINUTE)!
      const hr = leaves('heartRate', 'heartRate', 10 * MINUTE)!
      // Each cuff reading stands alone, as it does on an observation chart.
      const sbp = leaves('systolic', 'nibpSystolic', 0)!
      expect(Math.max(rr, temperature), `seed ${seed}`).toBeLessThan(hr)
      expect(hr, `seed ${seed}`).toBeLessThan(sbp)
    }
  })

  it('applies new limits by command and alarms against them', () => {
    const monitor = session(bedsideMonitor, { patient: patientModel({ id: 'limits' }) })
    monitor.tick(120)
    expect(alarmsIn(monitor.emissions)).toEqual([])
    const hr = telemetryIn<Reading>(monitor.emissions).at(-1)!.heartRate!
    const ack = monitor.command({ id: 'c1', action: 'set-limits', limits: { heartRate: { high: hr - 15 } } })
    expect(ack.map((e) => e.data)).toEqual([{ type: 'command-ack', commandId: 'c1', action: 'set-limits', accepted: true }])
    const after = alarmsIn(monitor.tick(60))
    expect(after).toHaveLength(1)
    expect(after[0]).toMatchObject({ code: 'HR_HIGH', priority: 'medium', category: 'physiological', active: true, limit: hr - 15 })
    // Back to a wide limit: the alarm ends once, it does not repeat every second.
    monitor.command({ id: 'c2', action: 'set-limits', limits: { heartRate: { high: 150 } } })
    const ended = alarmsIn(monitor.tick(60))
    expect(ended.map((a) => [a.code, a.active])).toEqual([['HR_HIGH', false]])
    const refused = monitor.command({ id: 'c3', action: 'set-limits', limits: { spo2: { low: 97, high: 95 } } })
    expect((refused[0]!.data as CommandAck).accepted).toBe(false)
    expect((refused[0]!.data as CommandAck).reason).toMatch(/spo2/)
  })

  it('stays quiet for a stable patient with default limits', () => {
    const monitor = session(bedsideMonitor, { patient: patientModel({ id: 'calm', ageYears: 45, sex: 'female' }), options: { capnography: true } })
    monitor.tick(6 * 3600)
    expect(alarmsIn(monitor.emissions)).toEqual([])
  })

  it('turns sensor and battery faults into low-priority technical alarms and drops the lost fields', () => {
    const monitor = session(bedsideMonitor, { patient: patientModel({ id: 'faults' }), options: { transport: true } })
    monitor.tick(5)
    const off = alarmsIn(monitor.fault('sensor-off', true))
    expect(off).toHaveLength(1)
    expect(off[0]).toMatchObject({ category: 'technical', priority: 'low', active: true })
    const lost = off[0]!.code === 'LEAD_OFF' ? ['heartRate', 'respiratoryRate'] : ['spo2', 'pulseRate']
    const during = telemetryIn<Reading>(monitor.tick(30))
    expect(during.every((r) => lost.every((field) => !(field in r)) && r.temperature !== undefined)).toBe(true)
    expect(alarmsIn(monitor.fault('sensor-off', false))).toMatchObject([{ code: off[0]!.code, active: false }])
    expect(telemetryIn<Reading>(monitor.tick(1)).every((r) => lost.every((field) => field in r))).toBe(true)
    expect(alarmsIn(monitor.fault('battery-empty', true))).toMatchObject([{ code: 'LOW_BATTERY', priority: 'low', category: 'technical', active: true }])
    expect(bedsideMonitor.batteryPct?.(monitor.state)).toBe(0)
  })

  it('reports a draining battery only when on transport', () => {
    const mains = session(bedsideMonitor, { patient: patientModel({ id: 'mains' }) })
    mains.tick(10)
    expect(bedsideMonitor.batteryPct?.(mains.state)).toBeUndefined()
    const transport = session(bedsideMonitor, { patient: patientModel({ id: 'moving' }), options: { transport: true } })
    transport.tick(1)
    const before = bedsideMonitor.batteryPct!(transport.state)!
    transport.tick(3600)
    // About 20 % an hour for a 5 h battery.
    expect(before - bedsideMonitor.batteryPct!(transport.state)!).toBeGreaterThan(18)
    expect(before - bedsideMonitor.batteryPct!(transport.state)!).toBeLessThan(22)
  })

  it('pauses audio on request, within the manufacturer maximum', () => {
    const monitor = session(bedsideMonitor, { patient: patientModel({ id: 'quiet' }) })
    monitor.tick(1)
    const paused = monitor.command({ id: 's1', action: 'silence', seconds: 60 }).map((e) => e.data)
    expect(paused).toEqual([
      { type: 'command-ack', commandId: 's1', action: 'silence', accepted: true },
      { type: 'audio-paused', seconds: 60, until: monitor.now() + 60_000 },
    ])
    expect((monitor.command({ id: 's2', action: 'silence', seconds: 900 })[0]!.data as CommandAck).accepted).toBe(false)
  })
})
