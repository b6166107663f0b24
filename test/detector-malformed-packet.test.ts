import { describe, expect, it } from 'vitest'
import { securityConfig } from '../src/security/config.ts'
import { malformedPacket } from '../src/security/detectors/malformed-packet.ts'
import { ADDRESS, DetectorHarness, SECOND, T0, every, signal, build } from './support/detector-harness.ts'

/**
 * malformed-packet: crafted or broken MQTT per address. A parse error or protocol violation
 * counts at once (1 in 60 s); weak signs — a keep-alive of 1–4 s, a connection closed without
 * ever sending CONNECT — only when 5 come within 60 s.
 */
const config = securityConfig()
const { violations, oddities, minSaneKeepaliveSeconds, windowMs } = config.malformedPacket
const shortKeepalive = (address: string = ADDRESS.a) => signal('connect-attempt', { address, keepaliveSeconds: 2 })

describe('malformed-packet detector', () => {
  it('reports the first unparseable packet, at medium severity', () => {
    expect(violations).toBe(1)
    const found = new DetectorHarness(build(malformedPacket, config)).signal(
      signal('protocol-error', { kind: 'parse', error: 'Invalid header flag bits', beforeConnect: true }),
    )
    expect(found).toEqual([
      {
        type: 'malformed-packet',
        severity: 'medium',
        source: { clientId: 'client-1', address: ADDRESS.a },
        evidence: { kind: 'parse', error: 'Invalid header flag bits', beforeConnect: true, inWindow: 1, windowMs },
      },
    ])
  })

  it('does not count a connect timeout as a violation: it is a weak sign, seen when the connection closes', () => {
    expect(new DetectorHarness(build(malformedPacket, config)).signals(10, () => signal('protocol-error', { kind: 'connect-timeout' }))).toEqual([])
  })

  it('lets 4 odd keep-alives through and reports the 5th, at low severity', () => {
    expect([oddities, minSaneKeepaliveSeconds, windowMs]).toEqual([5, 5, 60_000])
    const { below, at } = new DetectorHarness(build(malformedPacket, config)).crossing(oddities, () => shortKeepalive())
    expect(below).toEqual([])
    expect(at).toEqual([
      {
        type: 'malformed-packet',
        severity: 'low',
        source: { clientId: 'client-1', address: ADDRESS.a },
        evidence: { oddity: 'keepalive', keepaliveSeconds: 2, inWindow: 5, windowMs },
      },
    ])
  })

  it('finds keep-alives of 1–4 s odd, not 0 (none) or 5 s', () => {
    const h = new DetectorHarness(build(malformedPacket, config))
    expect(h.signals(20, (i) => signal('connect-attempt', { keepaliveSeconds: i % 2 === 0 ? 0 : minSaneKeepaliveSeconds }))).toEqual([])
    expect(h.signals(oddities, (i) => signal('connect-attempt', { keepaliveSeconds: 1 + (i % 4) }))).toHaveLength(1)
  })

  it('counts connections that close without CONNECT together with odd keep-alives', () => {
    const h = new DetectorHarness(build(malformedPacket, config))
    h.signals(oddities - 1, () => signal('connection-closed', { sentConnect: false, openMs: 10_000.4 }))
    expect(h.signals(10, () => signal('connection-closed', { sentConnect: true }))).toEqual([])
    expect(h.signal(shortKeepalive())[0]?.evidence.inWindow).toBe(5)
  })

  it('slides: 4 odd connects a minute, for ten minutes, is never a probe', () => {
    expect(new DetectorHarness(build(malformedPacket, config)).signals(40, () => shortKeepalive(), every(16 * SECOND))).toEqual([])
  })

  it('keeps addresses apart, and sweep forgets an idle one', () => {
    const h = new DetectorHarness(build(malformedPacket, securityConfig({ memory: { idleMs: SECOND } })))
    h.signals(oddities - 1, () => shortKeepalive(ADDRESS.a))
    expect(h.signals(oddities - 1, () => shortKeepalive(ADDRESS.b))).toEqual([])
    h.sweep(T0 + SECOND)
    expect(h.signal(shortKeepalive(ADDRESS.a), T0 + SECOND)).toEqual([])
  })
})
