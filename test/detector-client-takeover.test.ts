import { describe, expect, it } from 'vitest'
import { clientTakeover } from '../src/security/detectors/client-takeover.ts'
import { ADDRESS, DetectorHarness, anonymous, identity, signal, build } from './support/detector-harness.ts'

/**
 * client-takeover: a CONNECT with the client id of a live session, from another address or as
 * another identity — the older session is closed (MQTT 3.1.1 §3.1.4-2), so whoever does it can
 * knock a device off the ward.
 */
const takeover = (address: string, name: string | undefined, previous: { address: string; identityName: string | undefined }, refused?: boolean) =>
  signal('session-takeover', {
    clientId: 'mon-01',
    address,
    identity: name ? identity(name) : undefined,
    previous: { ...previous, connectedForMs: 1234.6 },
    ...(refused ? { refused } : {}),
  })

describe('client-takeover detector', () => {
  it('does not report a device reconnecting from its own address before its old connection was seen to die', () => {
    expect(new DetectorHarness(build(clientTakeover)).signal(takeover(ADDRESS.a, 'mon-01', { address: ADDRESS.a, identityName: 'mon-01' }))).toEqual([])
  })

  it('reports the same identity from another address as high, keyed by client id', () => {
    expect(new DetectorHarness(build(clientTakeover)).signal(takeover(ADDRESS.b, 'mon-01', { address: ADDRESS.a, identityName: 'mon-01' }))).toEqual([
      {
        type: 'client-takeover',
        severity: 'high',
        source: { clientId: 'mon-01', address: ADDRESS.b, deviceId: 'mon-01' },
        evidence: { previousAddress: ADDRESS.a, previousIdentity: 'mon-01', identity: 'mon-01', previousSessionMs: 1235, refused: false },
        key: 'mon-01',
      },
    ])
  })

  it('reports another identity as critical, even from the same address and even when the broker refused it', () => {
    const [finding] = new DetectorHarness(build(clientTakeover)).signal(takeover(ADDRESS.a, 'nurse-op', { address: ADDRESS.a, identityName: 'mon-01' }, true))
    expect(finding).toMatchObject({
      severity: 'critical',
      source: { username: 'nurse-op' },
      evidence: { identity: 'nurse-op', previousIdentity: 'mon-01', refused: true },
    })
  })

  it('treats an anonymous client taking over a device session as another identity', () => {
    const h = new DetectorHarness(build(clientTakeover))
    const [finding] = h.signal(takeover(ADDRESS.c, undefined, { address: ADDRESS.a, identityName: 'mon-01' }))
    expect(finding).toMatchObject({ severity: 'critical', source: { clientId: 'mon-01', address: ADDRESS.c }, evidence: { identity: null } })
    // Two anonymous sessions with one client id from one address: the same client reconnecting.
    const same = signal('session-takeover', { identity: anonymous('client-1'), previous: { address: ADDRESS.a, identityName: 'client-1', connectedForMs: 10 } })
    expect(h.signal(same)).toEqual([])
  })
})
