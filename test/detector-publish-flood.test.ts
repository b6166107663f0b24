import { describe, expect, it } from 'vitest'
import { securityConfig } from '../src/security/config.ts'
import { publishFlood } from '../src/security/detectors/publish-flood.ts'
import { ADDRESS, DetectorHarness, MINUTE, SECOND, T0, every, identity, signal, topicOf, build } from './support/detector-harness.ts'

/**
 * publish-flood: one client publishing far above what it should, held by a token bucket of
 * `burstSeconds` (10 s) of its rate. A registered device's rate is profileFactor (10) × its kind's
 * nominal rate (one message per tick), never below minDeviceRate (5/s), and 2,048 bytes a
 * message; anyone else gets 20 messages and 64 KiB a second.
 */
const config = securityConfig()
const flood = config.publishFlood
/** A publish by registered device `deviceId` (its client id is its device id), or by an unregistered client. */
const publish = (deviceId: string | undefined, payloadBytes = 300) =>
  signal('publish', {
    clientId: deviceId ?? 'tool',
    identity: deviceId ? identity(deviceId) : undefined,
    topic: deviceId ? topicOf(deviceId) : 'lab/load',
    payloadBytes,
  })

describe('publish-flood detector', () => {
  it('lets a 1 Hz monitor spend 10 s of 10 messages a second at once, and reports the 101st', () => {
    expect([flood.profileFactor, flood.burstSeconds, flood.bytesPerMessage]).toEqual([10, 10, 2048])
    const { below, at } = new DetectorHarness(build(publishFlood, config)).crossing(101, () => publish('mon-01'))
    expect(below).toEqual([])
    expect(at).toEqual([
      {
        type: 'publish-flood',
        severity: 'high',
        source: { clientId: 'mon-01', address: ADDRESS.a, deviceId: 'mon-01' },
        evidence: {
          over: 'messages',
          messagesPerSecond: 101,
          allowedPerSecond: 10,
          allowedBytesPerSecond: 20_480,
          payloadBytes: 300,
          topic: topicOf('mon-01'),
        },
        key: 'mon-01',
      },
    ])
  })

  it('never reports a monitor at its nominal rate × profileFactor - 1 (9/s), for ten minutes', () => {
    expect(new DetectorHarness(build(publishFlood, config)).signals(9 * 600, () => publish('mon-01'), every(SECOND / 9))).toEqual([])
  })

  it('reports 11/s only once the 10 s burst allowance is spent (about 100 s in)', () => {
    const h = new DetectorHarness(build(publishFlood, config))
    const at = every(SECOND / 11)
    expect(h.signals(11 * 90, () => publish('mon-01'), at)).toEqual([])
    expect(
      h.signals(
        11 * 20,
        () => publish('mon-01'),
        (i) => at(11 * 90 + i),
      ).length,
    ).toBeGreaterThan(0)
  })

  it('holds a slow kind to minDeviceRate: an MRI (one tick in 10 s) may still send 5/s', () => {
    const { below, at } = new DetectorHarness(build(publishFlood, config)).crossing(5 * 10 + 1, () => publish('mri-01'))
    expect(below).toEqual([])
    expect(at[0]?.evidence).toMatchObject({ allowedPerSecond: flood.minDeviceRate, allowedBytesPerSecond: 5 * 2048 })
  })

  it('holds an unregistered client to 20 messages and 64 KiB a second, and says which it broke', () => {
    expect([flood.unregisteredRate, flood.unregisteredBytesPerSecond]).toEqual([20, 65_536])
    const messages = new DetectorHarness(build(publishFlood, config)).crossing(20 * 10 + 1, () => publish(undefined, 10))
    expect(messages.below).toEqual([])
    expect(messages.at[0]?.evidence.over).toBe('messages')
    const bytes = new DetectorHarness(build(publishFlood, config)).crossing(10 + 1, () => publish(undefined, 65_536))
    expect(bytes.below).toEqual([])
    expect(bytes.at[0]?.evidence).toMatchObject({ over: 'bytes', allowedBytesPerSecond: 65_536, payloadBytes: 65_536 })
  })

  describe('a store-and-forward gateway back online', () => {
    const HOUR = 60 * MINUTE
    /** A kit's envelope with one oximeter reading is about 140 bytes. */
    const reading = () => publish('kit-01', 140)
    const connected = (deviceId: string) => signal('connected', { clientId: deviceId, identity: identity(deviceId) })
    /** A home kit (one tick a minute, so 5/s and a burst of 50) last heard at T0, back after `awayMs`. */
    function backAfter(awayMs: number) {
      const h = new DetectorHarness(build(publishFlood, config))
      h.signal(reading())
      h.signal(connected('kit-01'), T0 + awayMs)
      return { h, back: T0 + awayMs }
    }
    /** Its burst of 50 and `kept` readings pass at `at`; one more is a flood. */
    function expectAllowance(h: DetectorHarness, kept: number, at: number) {
      const { below, at: over } = h.crossing(50 + kept + 1, reading, () => at)
      expect(below).toEqual([])
      expect(over).toHaveLength(1)
    }

    it('may send what it kept for 6 hours (360 readings) on top of its burst of 50, and not one more', () => {
      const { h, back } = backAfter(6 * HOUR)
      expectAllowance(h, 360, back)
    })

    it('keeps its backlog allowance while it sends the backlog over the next second', () => {
      const { h, back } = backAfter(6 * HOUR)
      expect(h.signals(50 + 360, reading, every(2, back))).toEqual([])
    })

    it('is credited at most maxBacklogMs (24 h) of readings, in messages and in bytes, and that much when never seen before', () => {
      expect(flood.maxBacklogMs).toBe(24 * HOUR)
      const { h, back } = backAfter(48 * HOUR)
      expectAllowance(h, 1440, back)
      const fresh = new DetectorHarness(build(publishFlood, config))
      fresh.signal(connected('kit-01'))
      expectAllowance(fresh, 1440, T0)
    })

    it('credits nothing to a live device: a monitor back online has its usual burst only', () => {
      const h = new DetectorHarness(build(publishFlood, config))
      h.signal(publish('mon-01'))
      h.signal(connected('mon-01'), T0 + HOUR)
      expect(
        h.crossing(
          101,
          () => publish('mon-01'),
          () => T0 + HOUR,
        ).at,
      ).toHaveLength(1)
    })
  })

  it('keeps publishers apart', () => {
    const h = new DetectorHarness(build(publishFlood, config))
    expect(h.signals(100, () => publish('mon-01'))).toEqual([])
    expect(h.signals(100, () => publish('mon-02'))).toEqual([])
  })

  it('sweep forgets an idle publisher: it starts again with a full allowance', () => {
    const small = securityConfig({ memory: { idleMs: SECOND } })
    const kept = new DetectorHarness(build(publishFlood, small))
    kept.signals(100, () => publish('mon-01'))
    // A second later it has 10 messages back, not 11.
    expect(
      kept.signals(
        11,
        () => publish('mon-01'),
        () => T0 + SECOND,
      ),
    ).toHaveLength(1)
    const swept = new DetectorHarness(build(publishFlood, small))
    swept.signals(100, () => publish('mon-01'))
    swept.sweep(T0 + SECOND)
    expect(
      swept.signals(
        100,
        () => publish('mon-01'),
        () => T0 + SECOND,
      ),
    ).toEqual([])
  })
})
