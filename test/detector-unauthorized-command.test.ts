import { describe, expect, it } from 'vitest'
import { unauthorizedCommand } from '../src/security/detectors/unauthorized-command.ts'
import { ADDRESS, DetectorHarness, anonymous, deviceMessage, identity, signal, topicOf, build } from './support/detector-harness.ts'

/**
 * unauthorized-command: a command to a device from anyone but an operator or admin (refused by
 * the ACL), or an operator's command beyond the device's hard limit — a pump rate above its
 * drug's hard maximum (pump-01: noradrenaline for 70 kg, hard limit 3 ug/kg/min = 157.5 mL/h),
 * a ventilator setting outside its range (PEEP 0–30, FiO2 21–100 %, tidal volume 20–1,000 mL).
 */
const detector = () => new DetectorHarness(build(unauthorizedCommand))
const command = (deviceId: string, body: Record<string, unknown>) =>
  deviceMessage({ deviceId, channel: 'cmd', clientId: 'console-1', address: ADDRESS.b, body: { id: 'c1', ...body } })

describe('unauthorized-command detector', () => {
  it('reports a refused command from an observer, as critical', () => {
    const topic = topicOf('pump-01', 'cmd')
    const found = detector().signal(
      signal('publish-denied', { clientId: 'obs-1', identity: identity('ward-obs'), topic, reason: 'only operators command devices' }),
    )
    expect(found).toEqual([
      {
        type: 'unauthorized-command',
        severity: 'critical',
        source: { clientId: 'obs-1', address: ADDRESS.a, username: 'ward-obs' },
        evidence: { reason: 'not-an-operator', topic, role: 'observer', retain: false, refusal: 'only operators command devices' },
        key: 'observer:ward-obs',
      },
    ])
  })

  it('keys an anonymous commander by address, and leaves refusals on other channels to topic-spoofing', () => {
    const h = detector()
    expect(h.signal(signal('publish-denied', { address: ADDRESS.d, identity: anonymous('x'), topic: topicOf('vent-01', 'cmd') }))[0]?.key).toBe(
      `address:${ADDRESS.d}`,
    )
    expect(h.signal(signal('publish-denied', { topic: topicOf('vent-01', 'telemetry') }))).toEqual([])
  })

  it("takes a pump rate at the drug's hard limit and reports one above it", () => {
    const h = detector()
    expect(h.message(command('pump-01', { action: 'change-rate', rate: 157.5 }))).toEqual([])
    const [finding] = h.message(command('pump-01', { action: 'change-rate', rate: 158 }))
    expect(finding).toMatchObject({
      type: 'unauthorized-command',
      severity: 'critical',
      source: { clientId: 'console-1', address: ADDRESS.b },
      evidence: { reason: 'beyond-hard-limit', deviceId: 'pump-01', action: 'change-rate', topic: topicOf('pump-01', 'cmd') },
      key: `address:${ADDRESS.b}`,
    })
    expect(finding?.evidence.detail).toMatch(/exceeds the hard limit of 3 ug\/kg\/min/)
  })

  it('does not report a rate past the soft limit only: that is the clinician’s to override', () => {
    expect(detector().message(command('pump-01', { action: 'change-rate', rate: 100 }))).toEqual([])
  })

  it.each([
    ['set-peep', 'peep', 30, 31],
    ['set-fio2', 'fio2', 21, 20],
    ['set-tidal-volume', 'tidalVolume', 1000, 1001],
    ['set-tidal-volume', 'tidalVolume', 20, 19],
  ])('takes %s %s at its hard limit (%d) and reports %d', (action, param, atLimit, beyond) => {
    const h = detector()
    expect(h.message(command('vent-01', { action, [param]: atLimit }))).toEqual([])
    expect(h.message(command('vent-01', { action, [param]: beyond }))).toHaveLength(1)
  })

  it('ignores commands without limits, and messages that are no commands', () => {
    const h = detector()
    expect(h.message(command('mon-01', { action: 'silence', seconds: 120 }))).toEqual([])
    expect(h.message(deviceMessage({ deviceId: 'pump-01', data: { rate: 5000 } }))).toEqual([])
  })
})
