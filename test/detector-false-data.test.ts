import { describe, expect, it } from 'vitest'
import { securityConfig } from '../src/security/config.ts'
import { falseData } from '../src/security/detectors/false-data.ts'
import { CHANGE_LIMITS } from '../src/security/plausibility.ts'
import { ADDRESS, DetectorHarness, MINUTE, SECOND, T0, deviceMessage, topicOf, build } from './support/detector-harness.ts'

/**
 * false-data: readings no device on a patient could produce. A change from the device's last
 * plausible reading beyond `noise + perSecond × Δt` (plausibility.ts; SpO2: 10 + 2/s, pump
 * volume: never down by more than 0.01 mL, up at most 1/3 mL/s), timed by the readings' `ts`
 * and not compared across more than 10 min; and, in quarantined messages, a value outside the
 * kind's measuring range.
 */
const config = securityConfig()
const { maxGapMs } = config.falseData
/** A telemetry reading of `deviceId` measured `afterMs` after T0. */
const reading = (afterMs: number, data: Record<string, number>, deviceId = 'mon-01') =>
  deviceMessage({ deviceId, ts: T0 + afterMs, receivedAt: T0 + afterMs, data })

describe('false-data detector', () => {
  it('allows SpO2 to fall 12 points in a second (noise 10 + 2/s) and reports 13, as critical', () => {
    expect(CHANGE_LIMITS.spo2).toEqual({ noise: 10, perSecond: 2 })
    const ok = new DetectorHarness(build(falseData, config))
    ok.message(reading(0, { spo2: 96 }))
    expect(ok.message(reading(SECOND, { spo2: 84 }))).toEqual([])
    const forged = new DetectorHarness(build(falseData, config))
    forged.message(reading(0, { spo2: 96 }))
    expect(forged.message(reading(SECOND, { spo2: 83 }))).toEqual([
      {
        type: 'false-data',
        severity: 'critical',
        source: { clientId: 'mon-01', address: ADDRESS.a, deviceId: 'mon-01' },
        evidence: {
          reason: 'impossible-change',
          field: 'spo2',
          previous: 96,
          value: 83,
          dtMs: 1000,
          allowedChange: 12,
          patientId: null,
          topic: topicOf('mon-01'),
        },
        key: 'mon-01',
      },
    ])
  })

  it('does not report a patient desaturating fast but for real: 97 to 70 over 15 s', () => {
    const h = new DetectorHarness(build(falseData, config))
    expect(h.messages(16, (i) => reading(i * SECOND, { spo2: Math.round(97 - (27 * i) / 15) }))).toEqual([])
  })

  it('keeps the last plausible reading as the reference, so each forged one is caught', () => {
    const h = new DetectorHarness(build(falseData, config))
    h.message(reading(0, { spo2: 97 }))
    expect(h.message(reading(SECOND, { spo2: 40 }))).toHaveLength(1)
    expect(h.message(reading(2 * SECOND, { spo2: 40 }))).toHaveLength(1)
    expect(h.message(reading(3 * SECOND, { spo2: 96 }))).toEqual([])
  })

  it('lets a pump volume grow by 1/3 mL a second and never shrink beyond noise', () => {
    const h = new DetectorHarness(build(falseData, config))
    h.message(reading(0, { volumeInfusedMl: 100 }, 'pump-01'))
    expect(h.message(reading(3 * SECOND, { volumeInfusedMl: 101 }, 'pump-01'))).toEqual([])
    expect(h.message(reading(6 * SECOND, { volumeInfusedMl: 102.1 }, 'pump-01'))).toHaveLength(1)
    expect(h.message(reading(7 * SECOND, { volumeInfusedMl: 100.995 }, 'pump-01'))).toEqual([])
    expect(h.message(reading(8 * SECOND, { volumeInfusedMl: 100.9 }, 'pump-01'))[0]?.evidence).toMatchObject({ field: 'volumeInfusedMl', previous: 100.995 })
  })

  it('compares readings up to 10 min apart, and not further', () => {
    expect(maxGapMs).toBe(10 * MINUTE)
    const within = new DetectorHarness(build(falseData, config))
    within.message(reading(0, { volumeInfusedMl: 100 }, 'pump-01'))
    expect(within.message(reading(maxGapMs, { volumeInfusedMl: 50 }, 'pump-01'))).toHaveLength(1)
    const beyond = new DetectorHarness(build(falseData, config))
    beyond.message(reading(0, { volumeInfusedMl: 100 }, 'pump-01'))
    expect(beyond.message(reading(maxGapMs + 1, { volumeInfusedMl: 50 }, 'pump-01'))).toEqual([])
  })

  it('skips a reading older than the last one (a late QoS 0 arrival) and other channels', () => {
    const h = new DetectorHarness(build(falseData, config))
    h.message(reading(10 * SECOND, { spo2: 96 }))
    expect(h.message(reading(9 * SECOND, { spo2: 50 }))).toEqual([])
    expect(h.message(deviceMessage({ channel: 'event', ts: T0 + 11 * SECOND, data: { spo2: 10 } }))).toEqual([])
  })

  it('keeps devices apart, and sweep forgets an idle one', () => {
    const h = new DetectorHarness(build(falseData, securityConfig({ memory: { idleMs: SECOND } })))
    h.message(reading(0, { spo2: 96 }, 'mon-01'))
    expect(h.message(reading(SECOND, { spo2: 60 }, 'mon-02'))).toEqual([])
    h.sweep(T0 + 2 * SECOND)
    expect(h.message(reading(2 * SECOND, { spo2: 60 }, 'mon-01'))).toEqual([])
  })

  it('reports a quarantined reading outside the measuring range, not one that failed for another reason', () => {
    const h = new DetectorHarness(build(falseData, config))
    const spoofed = deviceMessage({ body: { deviceId: 'mon-01', kind: 'bedside-monitor', seq: 1, ts: T0, data: { heartRate: 80, spo2: 150 } } })
    expect(h.quarantine(spoofed, 'schema')).toEqual([
      {
        type: 'false-data',
        severity: 'critical',
        source: { clientId: 'mon-01', address: ADDRESS.a, deviceId: 'mon-01' },
        evidence: { reason: 'out-of-range', field: 'spo2', value: 150, range: [0, 100], topic: topicOf('mon-01') },
        key: 'mon-01',
      },
    ])
    expect(h.quarantine(spoofed, 'identity-mismatch')).toEqual([])
    expect(h.quarantine(deviceMessage({ body: { data: { spo2: 100, temperature: 25 } } }), 'schema')).toEqual([])
  })
})
