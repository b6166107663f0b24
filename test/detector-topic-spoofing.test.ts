import { describe, expect, it } from 'vitest'
import { topicSpoofing } from '../src/security/detectors/topic-spoofing.ts'
import { ADDRESS, DetectorHarness, anonymous, identity, signal, build } from './support/detector-harness.ts'

/**
 * topic-spoofing: a publish the ACL refused — someone writing where they have no right to. A
 * retained one is `retained-poisoning` (it would outlive the connection); a refused command to a
 * device is unauthorized-command's.
 */
const OTHER_MONITOR = 'hospital/icu/bedside-monitor/mon-02/telemetry'

describe('topic-spoofing detector', () => {
  it("reports a device writing into another device's namespace, keyed by the device", () => {
    const found = new DetectorHarness(build(topicSpoofing)).signal(
      signal('publish-denied', { clientId: 'mon-01', identity: identity('mon-01'), topic: OTHER_MONITOR, reason: 'outside its namespace' }),
    )
    expect(found).toEqual([
      {
        type: 'topic-spoofing',
        severity: 'high',
        source: { clientId: 'mon-01', address: ADDRESS.a, deviceId: 'mon-01' },
        evidence: { topic: OTHER_MONITOR, retain: false, role: 'device', anonymous: false, reason: 'outside its namespace' },
        key: 'device:mon-01',
      },
    ])
  })

  it('calls a refused retained publish retained-poisoning', () => {
    const [finding] = new DetectorHarness(build(topicSpoofing)).signal(
      signal('publish-denied', { identity: identity('ward-obs'), topic: 'hospital/icu/ventilator/vent-01/status', retain: true }),
    )
    expect(finding).toMatchObject({
      type: 'retained-poisoning',
      source: { username: 'ward-obs' },
      key: 'observer:ward-obs',
      evidence: { retain: true, role: 'observer' },
    })
  })

  it('keys an anonymous writer by its address, since it can pick any client id', () => {
    const [finding] = new DetectorHarness(build(topicSpoofing)).signal(
      signal('publish-denied', { address: ADDRESS.d, identity: anonymous('x1'), topic: 'alerts/clinical/fake' }),
    )
    expect(finding).toMatchObject({ key: `address:${ADDRESS.d}`, source: { clientId: 'client-1', address: ADDRESS.d }, evidence: { anonymous: true } })
  })

  it('leaves refused commands to devices to unauthorized-command', () => {
    expect(
      new DetectorHarness(build(topicSpoofing)).signal(
        signal('publish-denied', { identity: identity('ward-obs'), topic: 'hospital/icu/infusion-pump/pump-01/cmd' }),
      ),
    ).toEqual([])
  })
})
