import { describe, expect, it } from 'vitest'
import { securityConfig } from '../src/security/config.ts'
import { replay } from '../src/security/detectors/replay.ts'
import { ADDRESS, DetectorHarness, MINUTE, SECOND, T0, deviceMessage, topicOf, build } from './support/detector-harness.ts'

/**
 * replay: replayed or forged timing per device, from the envelope. A `seq` seen before, or 64 or
 * more below the highest, is a replay — unless the same address repeats it with the same `ts`
 * within 30 s (a QoS 1 redelivery). A `ts` more than 5 min ahead of the broker, or more than
 * 10 min behind it for a device that sends live, is forged. `seq` 0 is a device that restarted.
 */
const config = securityConfig()
const { maxFutureMs, maxAgeMs, redeliveryGraceMs } = config.replay
/** mon-01's message `seq`, measured at `ts` and received at `receivedAt` (T0 + seq seconds unless told). */
const reading = (seq: number, more: { ts?: number; receivedAt?: number; address?: string; deviceId?: string } = {}) => {
  const receivedAt = more.receivedAt ?? T0 + seq * SECOND
  return deviceMessage({ deviceId: more.deviceId ?? 'mon-01', seq, ts: more.ts ?? receivedAt, receivedAt, address: more.address ?? ADDRESS.a })
}
/** mon-01's message `seq` exactly as first sent, captured and sent again 5 minutes on. */
const replayOf = (seq: number) => reading(seq, { ts: T0 + seq * SECOND, receivedAt: T0 + 5 * MINUTE })
/** A detector that has seen mon-01's seq 1 … `upTo`. */
function seen(upTo: number) {
  const h = new DetectorHarness(build(replay, config))
  expect(h.messages(upTo, (i) => reading(i + 1))).toEqual([])
  return h
}

describe('replay detector', () => {
  it('reports a message sent again minutes later, naming the device', () => {
    const h = seen(10)
    expect(h.message(replayOf(5))).toEqual([
      {
        type: 'replay',
        severity: 'high',
        source: { clientId: 'mon-01', address: ADDRESS.a, deviceId: 'mon-01' },
        evidence: { reason: 'repeated-seq', highestSeq: 10, seq: 5, ts: T0 + 5 * SECOND, receivedAt: T0 + 5 * MINUTE, topic: topicOf('mon-01') },
        key: 'mon-01',
      },
    ])
  })

  it('takes a QoS 1 redelivery (same address, same ts) within 30 s, and not a moment later', () => {
    expect(redeliveryGraceMs).toBe(30_000)
    const h = seen(10)
    const sent = T0 + 10 * SECOND
    expect(h.message(reading(10, { ts: sent, receivedAt: sent + redeliveryGraceMs }))).toEqual([])
    expect(h.message(reading(10, { ts: sent, receivedAt: sent + redeliveryGraceMs + 1 }))).toHaveLength(1)
  })

  it('reports a repeated seq from another address, or with another ts, at once', () => {
    const h = seen(10)
    expect(h.message(reading(10, { address: ADDRESS.b, receivedAt: T0 + 10 * SECOND }))).toHaveLength(1)
    expect(h.message(reading(10, { ts: T0 + 10 * SECOND + 1, receivedAt: T0 + 10 * SECOND }))).toHaveLength(1)
  })

  it('accepts a late seq once within 64 of the highest, and calls one 64 below it regressing', () => {
    const h = seen(100)
    expect(h.message(replayOf(37))[0]?.evidence).toMatchObject({ reason: 'repeated-seq' })
    expect(h.message(replayOf(36))[0]?.evidence).toMatchObject({ reason: 'regressing-seq', highestSeq: 100 })
    const late = new DetectorHarness(build(replay, config))
    late.messages(40, (i) => reading(i + 1))
    late.message(reading(100))
    // 37 … 40 were seen, 41 … 99 were not: 41 arrives late, once.
    expect(late.message(reading(41))).toEqual([])
    expect(late.message(replayOf(41))).toHaveLength(1)
  })

  it('takes seq 0 as a device restarting, not a replay', () => {
    const h = seen(50)
    expect(h.messages(10, (i) => reading(i, { receivedAt: T0 + MINUTE + i * SECOND }))).toEqual([])
    // So a captured seq 0 is judged by its timestamp alone: replayed 10 min on, it is stale.
    expect(h.message(reading(0, { ts: T0 + MINUTE, receivedAt: T0 + MINUTE + maxAgeMs + 1 }))[0]?.evidence.reason).toBe('stale-timestamp')
  })

  it('reports a ts more than 5 min ahead of the broker', () => {
    expect(maxFutureMs).toBe(5 * MINUTE)
    const h = new DetectorHarness(build(replay, config))
    expect(h.message(reading(1, { receivedAt: T0, ts: T0 + maxFutureMs }))).toEqual([])
    expect(h.message(reading(2, { receivedAt: T0, ts: T0 + maxFutureMs + 1 }))[0]?.evidence).toMatchObject({
      reason: 'future-timestamp',
      aheadMs: maxFutureMs + 1,
    })
  })

  it('reports a live device reading more than 10 min old, but not a home gateway sending its backlog', () => {
    expect(maxAgeMs).toBe(10 * MINUTE)
    const h = new DetectorHarness(build(replay, config))
    expect(h.message(reading(1, { receivedAt: T0, ts: T0 - maxAgeMs }))).toEqual([])
    expect(h.message(reading(2, { receivedAt: T0, ts: T0 - maxAgeMs - 1 }))[0]?.evidence).toMatchObject({ reason: 'stale-timestamp', ageMs: maxAgeMs + 1 })
    expect(h.message(reading(1, { deviceId: 'kit-01', receivedAt: T0, ts: T0 - 6 * 60 * MINUTE }))).toEqual([])
  })

  it('keeps devices apart: the same seq from two devices is no replay', () => {
    const h = seen(10)
    expect(h.messages(10, (i) => reading(i + 1, { deviceId: 'mon-02' }))).toEqual([])
  })

  it('sweep forgets an idle device: what it sent before is no longer known', () => {
    const h = new DetectorHarness(build(replay, securityConfig({ memory: { idleMs: MINUTE } })))
    h.messages(10, (i) => reading(i + 1))
    h.sweep(T0 + 10 * SECOND + MINUTE)
    expect(h.message(reading(5, { receivedAt: T0 + 10 * SECOND + MINUTE }))).toEqual([])
  })
})
