import { describe, expect, it } from 'vitest'
import { wildcardSnooping } from '../src/security/detectors/wildcard-snooping.ts'
import { ADDRESS, DetectorHarness, anonymous, identity, signal, build } from './support/detector-harness.ts'

/**
 * wildcard-snooping: every subscription the ACL refused (a device asking for `#`, anyone but an
 * admin asking for `$SYS`). What an observer may read is the ACL's call: its `#` is granted, so
 * it never reaches this detector.
 */
describe('wildcard-snooping detector', () => {
  it('reports a device subscribing to everything, at medium severity', () => {
    const found = new DetectorHarness(build(wildcardSnooping)).signal(
      signal('subscribe-denied', { clientId: 'mon-01', identity: identity('mon-01'), filter: '#', reason: 'not its own cmd topic' }),
    )
    expect(found).toEqual([
      {
        type: 'wildcard-snooping',
        severity: 'medium',
        source: { clientId: 'mon-01', address: ADDRESS.a, deviceId: 'mon-01' },
        evidence: { filter: '#', role: 'device', reason: 'not its own cmd topic' },
        key: 'device:mon-01',
      },
    ])
  })

  it('keys a registered user by name and an anonymous client by address', () => {
    const h = new DetectorHarness(build(wildcardSnooping))
    expect(h.signal(signal('subscribe-denied', { identity: identity('ward-obs'), filter: '$SYS/#' }))[0]?.key).toBe('observer:ward-obs')
    expect(h.signal(signal('subscribe-denied', { address: ADDRESS.b, identity: anonymous('scan'), filter: '$SYS/#' }))[0]?.key).toBe(`address:${ADDRESS.b}`)
  })

  it('reports nothing for a subscription the ACL granted', () => {
    expect(new DetectorHarness(build(wildcardSnooping)).signal(signal('subscribed', { filters: ['#'] }))).toEqual([])
  })
})
