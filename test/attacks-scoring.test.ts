import { describe, expect, it } from 'vitest'
import { GroundTruth } from '../src/attacks/ground-truth.ts'
import { median, scoreDetection } from '../src/attacks/scoring.ts'
import type { SecurityAlert } from '../src/contract/security-alert.ts'

const T0 = Date.UTC(2026, 0, 1)

function alert(part: Partial<SecurityAlert> & Pick<SecurityAlert, 'id' | 'type' | 'ts' | 'address'>): SecurityAlert {
  return { severity: 'high', state: 'open', clientId: 'c', evidence: {}, firstSeen: part.ts, lastSeen: part.ts, count: 1, ...part }
}

describe('detection scoring', () => {
  const truth = new GroundTruth()
  const brute = truth.begin('brute-force', 'pump-01', {}, T0 + 10_000)
  brute.addresses.push('203.0.113.10')
  brute.endMs = T0 + 20_000
  const takeover = truth.begin('client-takeover', 'mon-01', {}, T0 + 40_000)
  takeover.addresses.push('203.0.113.110')
  takeover.endMs = T0 + 45_000
  const flood = truth.begin('publish-flood', null, {}, T0 + 60_000)
  flood.addresses.push('198.51.100.1', '198.51.100.2')
  flood.endMs = T0 + 70_000
  const missed = truth.begin('slow-dos', null, {}, T0 + 80_000)
  missed.addresses.push('203.0.113.50')
  missed.endMs = T0 + 85_000

  const alerts = [
    // Before the attack started: not its detection, and no attack explains it.
    alert({ id: 'early', type: 'brute-force', ts: T0 + 5_000, address: '203.0.113.10' }),
    alert({ id: 'bf', type: 'brute-force', ts: T0 + 12_500, address: '203.0.113.10' }),
    alert({ id: 'bf', type: 'brute-force', ts: T0 + 13_500, address: '203.0.113.10', count: 9 }),
    // The device taking its id back: the alert names the device's address, the previous one is the attacker's.
    alert({ id: 'back', type: 'client-takeover', ts: T0 + 41_000, address: 'sim:mon-01', evidence: { previousAddress: '203.0.113.110' } }),
    // A replay alert about the attacked device, from the device itself, during the attack: a consequence.
    alert({ id: 'conseq', type: 'replay', ts: T0 + 43_000, address: 'sim:mon-01', deviceId: 'mon-01' }),
    alert({ id: 'ddos', type: 'publish-flood', ts: T0 + 61_000, address: 'distributed', evidence: { addresses: ['198.51.100.2'] } }),
    // Benign traffic, and too late for any attack's grace period.
    alert({ id: 'fp', type: 'publish-flood', ts: T0 + 200_000, address: '192.0.2.7' }),
  ]
  const report = scoreDetection(truth.entries, alerts)

  it('times each injection to the first alert of its class from its sources', () => {
    expect(report.injections.map((i) => [i.type, i.timeToDetectSeconds])).toEqual([
      ['brute-force', 2.5],
      ['client-takeover', 1],
      ['publish-flood', 1],
      ['slow-dos', null],
    ])
    expect(report.byType['brute-force']).toEqual({ injected: 1, detected: 1, timeToDetectSeconds: 2.5, falseAlerts: 1 })
    expect(report.byType['slow-dos']).toEqual({ injected: 1, detected: 0, timeToDetectSeconds: null, falseAlerts: 0 })
    expect(report.medianTimeToDetectSeconds).toBe(1)
  })

  it('counts as false only the alerts no attack explains', () => {
    expect(report.falseAlerts.map((a) => a.id)).toEqual(['early', 'fp'])
    expect(report.byType['publish-flood']).toMatchObject({ injected: 1, detected: 1, falseAlerts: 1 })
  })

  it('takes the median of an even count as the mean of the middle two', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBeNull()
  })
})
