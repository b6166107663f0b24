import { describe, expect, it } from 'vitest'
import { securityConfig } from '../src/security/config.ts'
import { slowDos } from '../src/security/detectors/slow-dos.ts'
import { ADDRESS, DetectorHarness, SECOND, T0, every, signal, build } from './support/detector-harness.ts'

/**
 * slow-dos: one address holding many connections open cheaply (SlowITe). Counted over connections
 * open now: 20 with a keep-alive of 1,200 s or more (or 0), or 20 that send nothing but PINGREQ.
 * Where the broker refuses over-long keep-alives, 5 refusals within 60 s.
 */
const config = securityConfig()
const { extremeKeepaliveSeconds, perAddress, refusalsPerWindow, windowMs } = config.slowDos
/** A CONNECT on connection `id`; SlowITe asks for 65,535 s. */
const connect = (id: number, keepaliveSeconds = 65_535, address: string = ADDRESS.a) =>
  signal('connect-attempt', { connectionId: id, address, keepaliveSeconds })
const closed = (id: number) => signal('connection-closed', { connectionId: id })
/** Connection `id`'s steps: a CONNECT with a normal keep-alive, then nothing but PINGREQ. */
const pinger = (id: number) => (step: number) => (step === 0 ? connect(id, 60) : signal('ping', { connectionId: id }))
const refused = (address: string = ADDRESS.a) => signal('connect-refused', { address, reason: 'keepalive-limit' })

describe('slow-dos detector', () => {
  it('lets 19 open connections with an extreme keep-alive through and reports the 20th', () => {
    expect([extremeKeepaliveSeconds, perAddress]).toEqual([1200, 20])
    const { below, at } = new DetectorHarness(build(slowDos, config)).crossing(perAddress, (i) => connect(i))
    expect(below).toEqual([])
    expect(at).toEqual([
      {
        type: 'slow-dos',
        severity: 'high',
        source: { clientId: 'client-1', address: ADDRESS.a },
        evidence: { openWithExtremeKeepalive: 20, keepaliveSeconds: 65_535, limitSeconds: 1200 },
      },
    ])
  })

  it('finds 1,200 s and 0 (none) extreme, and 1,199 s not', () => {
    const h = new DetectorHarness(build(slowDos, config))
    expect(h.signals(50, (i) => connect(i, extremeKeepaliveSeconds - 1))).toEqual([])
    expect(h.signals(perAddress, (i) => connect(100 + i, i % 2 ? 0 : extremeKeepaliveSeconds))).toHaveLength(1)
  })

  it('counts connections open now: one closing makes room for one more', () => {
    const h = new DetectorHarness(build(slowDos, config))
    h.signals(perAddress - 1, (i) => connect(i))
    h.signal(closed(0))
    expect(h.signal(connect(100))).toEqual([])
    expect(h.signal(connect(101))).toHaveLength(1)
  })

  it('keeps addresses apart', () => {
    const h = new DetectorHarness(build(slowDos, config))
    h.signals(perAddress - 1, (i) => connect(i, 0, ADDRESS.a))
    expect(h.signals(perAddress - 1, (i) => connect(100 + i, 0, ADDRESS.b))).toEqual([])
  })

  it('reports the 20th connection that only pings, and not connections that also publish', () => {
    const h = new DetectorHarness(build(slowDos, config))
    for (let id = 0; id < perAddress - 1; id++) expect(h.signals(3, pinger(id))).toEqual([])
    // One of them publishes after all: it is a device, no longer a slow opener.
    h.signal(signal('publish', { connectionId: 0 }))
    expect(h.signals(3, pinger(100))).toEqual([])
    expect(h.signals(3, pinger(101))).toEqual([
      { type: 'slow-dos', severity: 'high', source: { clientId: 'client-1', address: ADDRESS.a }, evidence: { openPingOnly: 20 } },
    ])
  })

  it('does not report a NAT-ed ward of 50 monitors that publish and ping', () => {
    const h = new DetectorHarness(build(slowDos, config))
    const monitor = (id: number) => (step: number) => [connect(id, 60), signal('publish', { connectionId: id }), signal('ping', { connectionId: id })][step]!
    for (let id = 0; id < 50; id++) expect(h.signals(3, monitor(id))).toEqual([])
  })

  it('reports the 5th keep-alive refusal within a minute, and slides', () => {
    expect([refusalsPerWindow, windowMs]).toEqual([5, 60_000])
    const h = new DetectorHarness(build(slowDos, config))
    expect(h.signals(20, () => signal('connect-refused', { reason: 'address-limit' }))).toEqual([])
    const { below, at } = h.crossing(refusalsPerWindow, () => refused())
    expect(below).toEqual([])
    expect(at).toEqual([
      { type: 'slow-dos', severity: 'medium', source: { clientId: 'client-1', address: ADDRESS.a }, evidence: { keepaliveRefusals: 5, windowMs } },
    ])
    // 4 a minute, well after that: quiet.
    expect(new DetectorHarness(build(slowDos, config)).signals(40, () => refused(), every(16 * SECOND))).toEqual([])
  })

  it('sweep keeps a quiet address while it holds a connection open, and forgets others', () => {
    const h = new DetectorHarness(build(slowDos, securityConfig({ memory: { idleMs: SECOND } })))
    h.signal(connect(1, 0, ADDRESS.a))
    h.signals(refusalsPerWindow - 1, () => refused(ADDRESS.a))
    h.signals(refusalsPerWindow - 1, () => refused(ADDRESS.b))
    h.sweep(T0 + SECOND)
    expect(h.signal(refused(ADDRESS.a), T0 + SECOND)).toHaveLength(1)
    expect(h.signal(refused(ADDRESS.b), T0 + SECOND)).toEqual([])
  })
})
