import { createHash } from 'node:crypto'
import { parseDeviceTopic, quarantineTopic } from '../contract/topics.ts'
import { KeyedTokenBuckets } from '../util/keyed-token-buckets.ts'
import type { PipelineMessage } from './message.ts'
import type { Sink } from './sinks/sink.ts'
import type { Rejection } from './stage.ts'

export interface QuarantineRecord {
  reason: Rejection['reason']
  detail: string
  issues?: Rejection['issues']
  stage: string
  topic: string
  clientId: string
  address: string
  receivedAt: number
  /** The bytes as received, up to `keepBytes` of them: enough to see the sender's bug and reproduce it. */
  payloadBase64: string
  /** The whole payload's size and SHA-256 (hex), so a kept prefix still identifies it. */
  payloadBytes: number
  payloadSha256: string
  /** Only the first `keepBytes` are in payloadBase64. */
  payloadTruncated?: true
  /** This device's quarantined messages the rate limit left out of the record since its previous record. */
  suppressedBefore?: number
}

/** How much of the quarantine a device may fill (pipeline YAML `quarantine`). */
export interface QuarantineLimits {
  /** Payload bytes kept in a record; the rest is summed up by size and SHA-256. */
  keepBytes: number
  /** Records a device may produce a second, sustained, and at once. */
  recordsPerSecond: number
  burst: number
}

/**
 * 4 KiB of a payload: device envelopes are a few hundred bytes, so any payload a device meant to
 * send is kept whole, and a 1 MiB one (the packet cap) no longer becomes 1.4 MB of base64 in the
 * file and on `quarantine/#` — one file reached 140 MB. 5 records a second, 50 at once: a device
 * whose every message is wrong (a firmware bug at 1 Hz) is recorded in full; a flood is cut to
 * 5 records a second (27 KB/s at most) and the rest counted.
 */
export const DEFAULT_QUARANTINE_LIMITS: QuarantineLimits = { keepBytes: 4096, recordsPerSecond: 5, burst: 50 }

/** Devices whose record allowance is remembered at most; device topics come from the registry's devices. */
const MAX_DEVICES = 10_000

/**
 * Invalid messages are never dropped. Each is counted as quarantined, and recorded — published on
 * `quarantine/{ward}/{deviceId}` and written to the quarantine file — with its reason and at most
 * `keepBytes` of its payload, its full size and SHA-256. A device producing records faster than
 * its allowance (a token bucket on the messages' own time, so a scenario run is deterministic)
 * has the rest counted instead of recorded: in /metrics (`onSuppressed`) and in the `suppressedBefore` of
 * its next record.
 */
export class Quarantine {
  private readonly sinks: Sink[]
  private readonly limits: QuarantineLimits
  private readonly allowance: KeyedTokenBuckets
  private readonly suppressed = new Map<string, number>()
  private readonly onSuppressed: (device: string) => void

  constructor(sinks: Sink[], options: { limits?: QuarantineLimits; onSuppressed?: (device: string) => void } = {}) {
    this.sinks = sinks
    this.limits = options.limits ?? DEFAULT_QUARANTINE_LIMITS
    this.allowance = new KeyedTokenBuckets({
      capacity: this.limits.burst,
      refillMs: (this.limits.burst * 1000) / this.limits.recordsPerSecond,
      maxKeys: MAX_DEVICES,
    })
    this.onSuppressed = options.onSuppressed ?? (() => undefined)
  }

  /** Records the message, or counts it when its device is over its allowance; returns the record, or null. */
  hold(message: PipelineMessage, stage: string, rejection: Rejection): QuarantineRecord | null {
    const device = message.device ?? parseDeviceTopic(message.topic)
    // Not a device's topic: one shared allowance, since the names would be the client's to invent.
    const key = device?.deviceId ?? 'unknown'
    if (!this.allowance.take(key, message.receivedAt)) {
      this.suppressed.set(key, (this.suppressed.get(key) ?? 0) + 1)
      this.onSuppressed(key)
      return null
    }
    const suppressedBefore = this.suppressed.get(key)
    this.suppressed.delete(key)
    const payload = message.payload
    const kept = payload.length > this.limits.keepBytes ? payload.subarray(0, this.limits.keepBytes) : payload
    const record: QuarantineRecord = {
      reason: rejection.reason,
      detail: rejection.detail,
      ...(rejection.issues ? { issues: rejection.issues } : {}),
      stage,
      topic: message.topic,
      clientId: message.source.clientId,
      address: message.source.address,
      receivedAt: message.receivedAt,
      payloadBase64: kept.toString('base64'),
      payloadBytes: payload.length,
      payloadSha256: createHash('sha256').update(payload).digest('hex'),
      ...(kept !== payload ? { payloadTruncated: true as const } : {}),
      ...(suppressedBefore ? { suppressedBefore } : {}),
    }
    const topic = quarantineTopic(device ?? null, message.source.clientId)
    for (const sink of this.sinks) sink.write(topic, record)
    return record
  }
}
