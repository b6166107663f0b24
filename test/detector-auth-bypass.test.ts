import { describe, expect, it } from 'vitest'
import { authBypass } from '../src/security/detectors/auth-bypass.ts'
import { ADDRESS, DetectorHarness, signal, build } from './support/detector-harness.ts'

/** auth-bypass: getting in without proving an identity — no password, anonymity where none is allowed, a borrowed device id. */
describe('auth-bypass detector', () => {
  it('reports a username sent without a password, medium when the name is no device', () => {
    const found = new DetectorHarness(build(authBypass)).signal(
      signal('auth-failed', { address: ADDRESS.c, username: 'admin', reason: 'missing-password', claimsDevice: false }),
    )
    expect(found).toEqual([
      {
        type: 'auth-bypass',
        severity: 'medium',
        source: { clientId: 'client-1', address: ADDRESS.c, username: 'admin' },
        evidence: { reason: 'missing-password', username: 'admin', claimsDevice: false },
      },
    ])
  })

  it('is high when the client passes itself off as a registered device', () => {
    const [finding] = new DetectorHarness(build(authBypass)).signal(
      signal('auth-failed', { clientId: 'mon-01', username: 'mon-01', reason: 'missing-password', claimsDevice: true }),
    )
    expect(finding?.severity).toBe('high')
  })

  it('reports an anonymous connect where anonymity is refused, with no username', () => {
    const [finding] = new DetectorHarness(build(authBypass)).signal(signal('auth-failed', { username: undefined, reason: 'anonymous-refused' }))
    expect(finding?.source).toEqual({ clientId: 'client-1', address: ADDRESS.a })
    expect(finding?.evidence).toEqual({ reason: 'anonymous-refused', username: null, claimsDevice: false })
  })

  it('reports an identity mismatch only when a device id is borrowed', () => {
    const h = new DetectorHarness(build(authBypass))
    expect(h.signal(signal('auth-failed', { clientId: 'mon-01', username: undefined, reason: 'identity-mismatch', claimsDevice: true }))).toHaveLength(1)
    // A user logging in under another user's name as client id: auth-failure's, not a bypass.
    expect(h.signal(signal('auth-failed', { clientId: 'ward-obs', reason: 'identity-mismatch', claimsDevice: false }))).toEqual([])
  })

  it('does not report a wrong password: that is guessing, not bypassing', () => {
    const h = new DetectorHarness(build(authBypass))
    expect(h.signal(signal('auth-failed', { reason: 'wrong-password', claimsDevice: true }))).toEqual([])
    expect(h.signal(signal('auth-failed', { reason: 'unknown-user' }))).toEqual([])
  })
})
