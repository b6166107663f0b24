import { describe, expect, it } from 'vitest'
import { securityConfig } from '../src/security/config.ts'
import { connectFlood } from '../src/security/detectors/connect-flood.ts'
import { ADDRESS, DetectorHarness, SECOND, T0, every, signal, build } from './support/detector-harness.ts'

/**
 * connect-flood: new TCP connections (before any MQTT byte) per address and in total, in a
 * sliding window. Defaults: 50 from one address or 3,000 in all within 10 s.
 */
const config = securityConfig()
const { perAddress, total, windowMs } = config.connectFlood
const open = (address: string = ADDRESS.a) => signal('connection-opened', { address })
/** One connection from each of `count` addresses, none of them repeating. */
const fromMany = (offset: number) => (i: number) => open(`172.16.${Math.floor((offset + i) / 250)}.${(offset + i) % 250}`)

describe('connect-flood detector', () => {
  it('lets 49 connections from one address in 10 s through and reports the 50th', () => {
    expect([perAddress, total, windowMs]).toEqual([50, 3000, 10_000])
    const { below, at } = new DetectorHarness(build(connectFlood, config)).crossing(perAddress, (i) => signal('connection-opened', { connectionId: 500 + i }))
    expect(below).toEqual([])
    expect(at).toEqual([
      {
        type: 'connect-flood',
        severity: 'high',
        source: { clientId: 'client-1', address: ADDRESS.a },
        evidence: { connectionsFromAddress: 50, windowMs },
        connectionId: 549,
      },
    ])
  })

  it('slides: 4 connections a second from one address (a gateway reconnecting its sensors) is never a flood', () => {
    const h = new DetectorHarness(build(connectFlood, config))
    expect(h.signals(400, () => open(), every(250))).toEqual([])
  })

  it('keeps addresses apart', () => {
    const h = new DetectorHarness(build(connectFlood, config))
    expect(h.signals(perAddress - 1, () => open(ADDRESS.a))).toEqual([])
    expect(h.signals(perAddress - 1, () => open(ADDRESS.b))).toEqual([])
  })

  it('does not report a ward powering up at 200 devices a second, and reports 3,000 in 10 s', () => {
    const h = new DetectorHarness(build(connectFlood, config))
    expect(h.signals(2000, fromMany(0), every(5))).toEqual([])
    // 999 more in the window's last millisecond: 2,999 in all.
    const lastMs = T0 + windowMs - 1
    expect(h.signals(total - 2000 - 1, fromMany(2000), () => lastMs)).toEqual([])
    const [finding] = h.signal(fromMany(total)(0), lastMs)
    expect(finding).toMatchObject({ key: 'total', evidence: { connectionsTotal: total, windowMs } })
  })

  it('sweep forgets an idle address', () => {
    const h = new DetectorHarness(build(connectFlood, securityConfig({ memory: { idleMs: SECOND } })))
    h.signals(perAddress - 1, () => open())
    h.sweep(T0 + SECOND)
    expect(h.signal(open(), T0 + SECOND)).toEqual([])
  })
})
