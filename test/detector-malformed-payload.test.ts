import { describe, expect, it } from 'vitest'
import { securityConfig } from '../src/security/config.ts'
import { malformedPayload } from '../src/security/detectors/malformed-payload.ts'
import { ADDRESS, DetectorHarness, MINUTE, SECOND, T0, deviceMessage, every, build } from './support/detector-harness.ts'

/**
 * malformed-payload: messages the pipeline quarantined, per client id: a device with a firmware
 * bug fails now and then, a fuzzer keeps going. Default: 5 within 60 s.
 */
const config = securityConfig()
const { perClient, windowMs } = config.malformedPayload
const broken = (clientId = 'mon-01', receivedAt = T0) => deviceMessage({ deviceId: 'mon-01', clientId, receivedAt, body: { spo2: 'high' } })

describe('malformed-payload detector', () => {
  it('lets a device fail 4 times in a minute and reports the 5th failure', () => {
    expect([perClient, windowMs]).toEqual([5, 60_000])
    const h = new DetectorHarness(build(malformedPayload, config))
    expect(h.quarantines(perClient - 1, () => broken())).toEqual([])
    const message = broken()
    expect(h.quarantine(message, 'not-json')).toEqual([
      {
        type: 'malformed-payload',
        severity: 'medium',
        source: { clientId: 'mon-01', address: ADDRESS.a, deviceId: 'mon-01' },
        evidence: {
          rejectedInWindow: 5,
          windowMs,
          lastReason: 'not-json',
          lastTopic: 'hospital/icu/bedside-monitor/mon-01/telemetry',
          payloadBytes: message.payload.length,
        },
        key: 'mon-01',
      },
    ])
  })

  it('slides: a device failing once every 15.5 s keeps under 5 a minute for ten minutes', () => {
    const at = every(15_500)
    expect(new DetectorHarness(build(malformedPayload, config)).quarantines(40, (i) => broken('mon-01', at(i)))).toEqual([])
  })

  it('counts per client id, even behind one address', () => {
    const h = new DetectorHarness(build(malformedPayload, config))
    expect(h.quarantines(2 * (perClient - 1), (i) => broken(i % 2 ? 'mon-01' : 'mon-02'))).toEqual([])
  })

  it('sweep forgets a client idle for memory.idleMs', () => {
    const h = new DetectorHarness(build(malformedPayload, securityConfig({ memory: { idleMs: MINUTE / 2 } })))
    h.quarantines(perClient - 1, () => broken())
    h.sweep(T0 + 30 * SECOND)
    expect(h.quarantine(broken('mon-01', T0 + 30 * SECOND), 'schema')).toEqual([])
  })
})
