import { describe, expect, it } from 'vitest'
import { securityConfig } from '../src/security/config.ts'
import { distributedFlood } from '../src/security/detectors/distributed-flood.ts'
import { ADDRESS, DetectorHarness, SECOND, T0, anonymous, every, identity, signal, build } from './support/detector-harness.ts'

/**
 * publish-flood (distributed): many freshly connected clients that are not devices, together
 * publishing far above normal. Tumbling windows of 2 s; 200 messages a second together (400 a
 * window) from at least 3 clients connected less than a minute ago.
 */
const config = securityConfig()
const { newClientMs, windowMs, aggregateRate, minClients } = config.distributedFlood
const PER_WINDOW = (aggregateRate * windowMs) / SECOND

/** A harness in which clients `bot-0` … `bot-{n-1}` connected at `at`, each from its own address unless `address` is given. */
function botnet(n: number, at = T0, address?: string) {
  const h = new DetectorHarness(build(distributedFlood, config))
  h.signals(
    n,
    (i) => signal('connected', { clientId: `bot-${i}`, address: address ?? `198.51.100.${i}`, identity: anonymous(`bot-${i}`) }),
    () => at,
  )
  return h
}
/** The i-th publish of a round-robin over `n` bots. */
const roundRobin = (n: number, address?: string) => (i: number) => signal('publish', { clientId: `bot-${i % n}`, address: address ?? `198.51.100.${i % n}` })

describe('distributed publish-flood detector', () => {
  it('lets 399 messages in a window from 3 new clients through and reports the 400th as one incident', () => {
    expect([PER_WINDOW, minClients, newClientMs]).toEqual([400, 3, 60_000])
    const { below, at } = botnet(3).crossing(PER_WINDOW, roundRobin(3))
    expect(below).toEqual([])
    expect(at).toEqual([
      {
        type: 'publish-flood',
        severity: 'high',
        source: { clientId: 'bot-0', address: 'distributed' },
        evidence: { distributed: true, messagesInWindow: 400, windowMs, newClients: 3, addresses: ['198.51.100.0', '198.51.100.1', '198.51.100.2'] },
        key: 'distributed',
      },
    ])
  })

  it('keys the incident by address when every client is behind one', () => {
    const [finding] = botnet(3, T0, ADDRESS.c).signals(PER_WINDOW, roundRobin(3, ADDRESS.c))
    expect(finding).toMatchObject({ source: { address: ADDRESS.c }, key: `distributed:${ADDRESS.c}` })
  })

  it('leaves 2 clients, however fast, to the per-client detector', () => {
    expect(botnet(2).signals(3 * PER_WINDOW, roundRobin(2))).toEqual([])
  })

  it('tumbles: 399 messages in each of two windows is no flood', () => {
    const h = botnet(3)
    expect(h.signals(PER_WINDOW - 1, roundRobin(3))).toEqual([])
    expect(h.signals(PER_WINDOW - 1, roundRobin(3), () => T0 + windowMs)).toEqual([])
  })

  it('counts clients for their first minute only', () => {
    expect(botnet(3).signals(PER_WINDOW, roundRobin(3), () => T0 + newClientMs)).toHaveLength(1)
    expect(botnet(3).signals(PER_WINDOW, roundRobin(3), () => T0 + newClientMs + 1)).toEqual([])
  })

  it('never counts devices (a ward powering up), nor clients it did not see connect', () => {
    const devices = ['mon-01', 'mon-02', 'pump-01']
    const h = new DetectorHarness(build(distributedFlood, config))
    h.signals(3, (i) => signal('connected', { clientId: devices[i], identity: identity(devices[i]!) }))
    expect(h.signals(PER_WINDOW, (i) => signal('publish', { clientId: devices[i % 3], identity: identity(devices[i % 3]!) }))).toEqual([])
    expect(h.signals(PER_WINDOW, roundRobin(3))).toEqual([])
  })

  it('names the bots, not a sensor that came up in the same minute and publishes at a device pace among them', () => {
    const h = botnet(4)
    const sensor = () => signal('publish', { clientId: 'bot-3', address: '198.51.100.3' })
    expect(h.signals(1, sensor)).toEqual([])
    const floods = h.signals(PER_WINDOW, roundRobin(3))
    expect(floods.length).toBeGreaterThan(0)
    for (const flood of floods) expect(flood.source.clientId).not.toBe('bot-3')
    // Counted in the aggregate (4 new clients), but its own publish is not the flood's.
    expect(floods[0]!.evidence).toMatchObject({ newClients: 4 })
    expect(h.signals(1, sensor)).toEqual([])
    expect(h.signals(1, roundRobin(3))).toHaveLength(1)
  })

  it("does not report MQTTset's benign set: 7 new clients at 1 message a second each", () => {
    expect(botnet(7).signals(7 * 60, roundRobin(7), every(SECOND / 7))).toEqual([])
  })

  it('sweep forgets an idle client: it is no longer counted as new', () => {
    const h = new DetectorHarness(build(distributedFlood, securityConfig({ memory: { idleMs: SECOND } })))
    h.signals(3, (i) => signal('connected', { clientId: `bot-${i}`, identity: anonymous(`bot-${i}`) }))
    h.sweep(T0 + SECOND)
    expect(h.signals(PER_WINDOW, roundRobin(3), () => T0 + SECOND)).toEqual([])
  })
})
