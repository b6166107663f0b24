import { z } from 'zod'
import { deviceContract } from '../../contract/devices/index.ts'
import type { DeviceMessage } from '../../contract/device-message.ts'
import { defineDetector, durationMs, type Detector, type DetectorContext, type Report } from '../detector.ts'
import { KeyedTable } from '../windows.ts'

/**
 * The anti-replay window of IPsec (RFC 4303 §3.4.3), by sequence number: a device's messages on
 * different channels go at different QoS, and MQTT orders messages only within one QoS (MQTT 3.1.1
 * §4.6), so a message may arrive a few places late. Within the window a late `seq` is accepted once.
 */
const WINDOW = 64

interface DeviceState {
  lastSeen: number
  maxSeq: number
  /** Per slot `seq % WINDOW`: the seq seen there, its ts, when it arrived and from which address. */
  seq: Float64Array
  ts: Float64Array
  receivedAt: Float64Array
  address: string[]
}

/** Its thresholds: the security configuration's `replay`. */
export const replayConfig = z
  .object({
    /** A reading stamped this far ahead of the broker's clock: beyond any NTP-synced device's skew. */
    maxFutureMs: durationMs.default(5 * 60_000),
    /** A live (not store-and-forward) device's reading older than this when it arrives is stale. */
    maxAgeMs: durationMs.default(10 * 60_000),
    /** A repeated `seq` with the same `ts`, from the same address, this soon is a QoS 1 redelivery (MQTT 3.1.1 §4.3.2), not a replay. */
    redeliveryGraceMs: durationMs.default(30_000),
  })
  .strict()

/**
 * Replayed or forged timing, per device, from the envelope (`seq` increases by one per message,
 * across reconnects; `ts` is when the value was measured): a `seq` seen before or older than the
 * window, unless the same address repeats a message it sent moments ago with the same `ts` (a QoS 1
 * redelivery, §4.3.2); a `ts` ahead of the broker's clock, or — for devices that send live — far behind it. A
 * `seq` of 0 starts over: a device that rebooted, checked on its timestamp alone.
 */
function replayDetector({ config, memory }: DetectorContext<z.output<typeof replayConfig>>): Detector {
  const { maxFutureMs, maxAgeMs, redeliveryGraceMs } = config
  const devices = new KeyedTable<DeviceState>(memory)
  const create = (now: number): DeviceState => ({
    lastSeen: now,
    maxSeq: -1,
    seq: new Float64Array(WINDOW).fill(-1),
    ts: new Float64Array(WINDOW),
    receivedAt: new Float64Array(WINDOW),
    address: new Array<string>(WINDOW).fill(''),
  })

  const flag = (message: DeviceMessage, report: Report, evidence: Record<string, unknown>) =>
    report({
      type: 'replay',
      severity: 'high',
      source: { clientId: message.source.clientId, address: message.source.address, deviceId: message.envelope!.deviceId },
      evidence: { ...evidence, seq: message.envelope!.seq, ts: message.envelope!.ts, receivedAt: message.receivedAt, topic: message.topic },
      key: message.envelope!.deviceId,
    })

  return {
    name: 'replay',
    onMessage(message, now, report) {
      const envelope = message.envelope
      if (!envelope) return
      const { seq, ts } = envelope
      const receivedAt = message.receivedAt
      if (ts - receivedAt > maxFutureMs) flag(message, report, { reason: 'future-timestamp', aheadMs: ts - receivedAt })
      else if (receivedAt - ts > maxAgeMs && !deviceContract(envelope.kind)?.storeAndForward)
        flag(message, report, { reason: 'stale-timestamp', ageMs: receivedAt - ts })
      const state = devices.touch(envelope.deviceId, now, create)
      const slot = seq % WINDOW
      if (seq === 0) {
        state.maxSeq = 0
        state.seq.fill(-1)
      } else if (seq <= state.maxSeq) {
        const tooOld = state.maxSeq - seq >= WINDOW
        const seen = state.seq[slot] === seq
        if (tooOld || seen) {
          const redelivery =
            seen && state.ts[slot] === ts && state.address[slot] === message.source.address && receivedAt - state.receivedAt[slot]! <= redeliveryGraceMs
          if (!redelivery) flag(message, report, { reason: seen ? 'repeated-seq' : 'regressing-seq', highestSeq: state.maxSeq })
          return
        }
      } else state.maxSeq = seq
      state.seq[slot] = seq
      state.ts[slot] = ts
      state.receivedAt[slot] = receivedAt
      state.address[slot] = message.source.address
    },
    sweep: (now) => devices.sweep(now),
  }
}

export const replay = defineDetector({ configKey: 'replay', config: replayConfig, create: replayDetector })
