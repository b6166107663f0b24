import { describe, expect, it } from 'vitest'
import { authFailure } from '../src/security/detectors/auth-failure.ts'
import { ADDRESS, DetectorHarness, signal, build } from './support/detector-harness.ts'

/** auth-failure: every refused login that tried a secret, at low severity; brute-force names the pattern. */
describe('auth-failure detector', () => {
  it('reports a single mistyped password, at low severity, naming who tried', () => {
    const found = new DetectorHarness(build(authFailure)).signal(
      signal('auth-failed', { clientId: 'console-3', address: ADDRESS.b, username: 'nurse-op', reason: 'wrong-password' }),
    )
    expect(found).toEqual([
      {
        type: 'auth-failure',
        severity: 'low',
        source: { clientId: 'console-3', address: ADDRESS.b, username: 'nurse-op' },
        evidence: { reason: 'wrong-password', username: 'nurse-op' },
      },
    ])
  })

  it.each(['unknown-user', 'too-many-failures', 'anonymous-session', 'identity-mismatch'] as const)('reports a refusal for %s', (reason) => {
    expect(new DetectorHarness(build(authFailure)).signal(signal('auth-failed', { reason }))).toHaveLength(1)
  })

  it('leaves logins without a password to auth-bypass', () => {
    const h = new DetectorHarness(build(authFailure))
    expect(h.signal(signal('auth-failed', { reason: 'missing-password' }))).toEqual([])
    expect(h.signal(signal('auth-failed', { reason: 'anonymous-refused', username: undefined }))).toEqual([])
  })

  it('names no username when the client gave none', () => {
    const [finding] = new DetectorHarness(build(authFailure)).signal(signal('auth-failed', { reason: 'identity-mismatch', username: undefined }))
    expect(finding?.source).toEqual({ clientId: 'client-1', address: ADDRESS.a })
    expect(finding?.evidence.username).toBeNull()
  })

  it('ignores every other signal', () => {
    expect(new DetectorHarness(build(authFailure)).signal(signal('connack-refused'))).toEqual([])
  })
})
