import { describe, expect, it } from 'vitest'
import { securityConfig } from '../src/security/config.ts'
import { bruteForce } from '../src/security/detectors/brute-force.ts'
import { ADDRESS, DetectorHarness, SECOND, T0, every, signal, type SignalInit, build } from './support/detector-harness.ts'

/**
 * brute-force: refused logins that guessed a secret, counted per address and per username in a
 * sliding window. Defaults: 10 from one address, or 10 against one username, within 60 s.
 */
const config = securityConfig()
const { perAddress, perUsername, windowMs } = config.bruteForce
const guess = (fields: SignalInit<'auth-failed'> = {}) => signal('auth-failed', { reason: 'wrong-password', ...fields })

describe('brute-force detector', () => {
  it('stays quiet at 9 guesses from one address in a minute and reports the 10th', () => {
    expect({ perAddress, perUsername, windowMs }).toEqual({ perAddress: 10, perUsername: 10, windowMs: 60_000 })
    const { below, at } = new DetectorHarness(build(bruteForce, config)).crossing(perAddress, (i) => guess({ username: `user-${i}`, connectionId: 100 + i }))
    expect(below).toEqual([])
    expect(at).toEqual([
      {
        type: 'brute-force',
        severity: 'high',
        source: { clientId: 'client-1', address: ADDRESS.a, username: 'user-9' },
        evidence: { failuresFromAddress: 10, windowMs, lastUsername: 'user-9', reason: 'wrong-password' },
        connectionId: 109,
      },
    ])
  })

  it('does not report a person who mistypes a password twice', () => {
    const h = new DetectorHarness(build(bruteForce, config))
    expect(h.signals(2, () => guess(), every(5 * SECOND))).toEqual([])
  })

  it('counts unknown users and guesses refused over budget, not missing passwords', () => {
    const h = new DetectorHarness(build(bruteForce, config))
    expect(h.signals(50, () => guess({ reason: 'missing-password' }))).toEqual([])
    expect(h.signals(5, () => guess({ reason: 'unknown-user' }))).toEqual([])
    expect(h.signals(5, () => guess({ reason: 'too-many-failures' }))).toHaveLength(1)
  })

  it('slides: one guess every 7 s never has 10 in a minute; one every 6 s does', () => {
    const slow = new DetectorHarness(build(bruteForce, config))
    expect(slow.signals(30, () => guess(), every(7 * SECOND))).toEqual([])
    const fast = new DetectorHarness(build(bruteForce, config))
    const found = fast.signals(perAddress, () => guess(), every(6 * SECOND))
    expect(found).toHaveLength(1)
  })

  it('keeps addresses apart: 9 from each of two addresses is nobody over the limit', () => {
    const h = new DetectorHarness(build(bruteForce, config))
    expect(h.signals(perAddress - 1, () => guess({ address: ADDRESS.a, username: 'alice' }))).toEqual([])
    expect(h.signals(perAddress - 1, () => guess({ address: ADDRESS.b, username: 'bob' }))).toEqual([])
  })

  it('names distributed guessing against one username from many addresses, keyed by the username', () => {
    const h = new DetectorHarness(build(bruteForce, config))
    const { below, at } = h.crossing(perUsername, (i) => guess({ address: `192.0.2.${i + 1}`, username: 'nurse-op' }))
    expect(below).toEqual([])
    expect(at[0]).toMatchObject({ key: 'username:nurse-op', evidence: { failuresAgainstUsername: 10, windowMs, username: 'nurse-op' } })
  })

  it('sweep forgets an address idle for memory.idleMs, and only then', () => {
    const small = securityConfig({ memory: { idleMs: 30 * SECOND } })
    const kept = new DetectorHarness(build(bruteForce, small))
    kept.signals(perAddress - 1, () => guess())
    kept.sweep(T0 + 30 * SECOND - 1)
    expect(kept.signal(guess(), T0 + 30 * SECOND - 1)).toHaveLength(1)
    const swept = new DetectorHarness(build(bruteForce, small))
    swept.signals(perAddress - 1, () => guess())
    swept.sweep(T0 + 30 * SECOND)
    expect(swept.signal(guess(), T0 + 30 * SECOND)).toEqual([])
  })
})
