import { z } from 'zod'
import type { Identity } from '../../registry/registry.ts'
import { sourceOf } from '../alert-source.ts'
import { defineDetector, durationMs, positiveCount, type Detector, type DetectorContext } from '../detector.ts'
import { trafficProfile } from '../device-profiles.ts'
import { KeyedTable, SlidingCount, TokenBucket } from '../windows.ts'

interface Publisher {
  lastSeen: number
  device: boolean
  messages: TokenBucket
  bytes: TokenBucket
  perSecond: SlidingCount
}

/** Its thresholds: the security configuration's `publishFlood`. */
export const publishFloodConfig = z
  .object({
    /**
     * A registered device may publish this many times its kind's nominal rate (one message per
     * tick, from the kind's tickMs) before it floods: alarms, events and status come on top of
     * telemetry, and a pump or ventilator emits several on one tick when an alarm starts.
     */
    profileFactor: z.number().min(1).default(10),
    /** Whatever the kind's cadence, a device may always send 5 messages a second (a 10 s MRI still raises alarms). */
    minDeviceRate: z.number().positive().default(5),
    /** Seconds of allowance a publisher may spend at once (token-bucket depth). */
    burstSeconds: z.number().positive().default(10),
    /**
     * Store-and-forward kinds (home gateways) send what they kept while offline right after they
     * reconnect: they get the kind's nominal rate × the time they were away, up to this long.
     */
    maxBacklogMs: durationMs.default(24 * 3_600_000),
    /** Bytes a device may send per nominal message: device payloads are a few hundred bytes. */
    bytesPerMessage: positiveCount.default(2048),
    /**
     * Clients that are not devices (operators, observers in the lab sandbox, capture replays): 20
     * messages/s sustained — twice what the busiest registered device may send (the fastest kinds,
     * bedside monitor, pump and ventilator, tick at 1 Hz; × profileFactor 10). A client that is not
     * even a device has no reason to out-publish every device on the ward.
     */
    unregisteredRate: z.number().positive().default(20),
    /** And 64 KiB/s: tens-of-KB payloads at speed are a flood even at a modest message rate. */
    unregisteredBytesPerSecond: positiveCount.default(64 * 1024),
  })
  .strict()

/**
 * One client publishing far above what it should: a registered device against its kind's cadence
 * (profileFactor × one message per tick, never below minDeviceRate), anyone else against a fixed
 * ceiling. Each publisher has a message and a byte token bucket, so a short burst (an alarm storm,
 * a gateway's backlog) passes and a sustained flood does not. A store-and-forward device that
 * reconnects is credited with what its kind could have measured while it was away.
 */
function publishFloodDetector({ config, memory }: DetectorContext<z.output<typeof publishFloodConfig>>): Detector {
  const flood = config
  const publishers = new KeyedTable<Publisher>(memory)

  const limitsOf = (identity: Identity | undefined) => {
    if (identity?.role !== 'device') return { rate: flood.unregisteredRate, byteRate: flood.unregisteredBytesPerSecond }
    const rate = Math.max(flood.minDeviceRate, flood.profileFactor * trafficProfile(identity.device).nominalRate)
    return { rate, byteRate: rate * flood.bytesPerMessage }
  }
  const create =
    (identity: Identity | undefined) =>
    (now: number): Publisher => {
      const { rate, byteRate } = limitsOf(identity)
      return {
        lastSeen: now,
        device: identity?.role === 'device',
        messages: new TokenBucket(rate, rate * flood.burstSeconds, now),
        bytes: new TokenBucket(byteRate, byteRate * flood.burstSeconds, now),
        perSecond: new SlidingCount(1000),
      }
    }

  return {
    name: 'publish-flood',
    signals: ['publish', 'connected'],
    onSignal(signal, now, report) {
      if (signal.type === 'connected') {
        const identity = signal.identity
        const known = publishers.get(signal.clientId)
        if (known && known.device !== (identity?.role === 'device')) publishers.delete(signal.clientId)
        if (identity?.role !== 'device' || !trafficProfile(identity.device).storeAndForward) return
        const away = known ? Math.min(now - known.lastSeen, flood.maxBacklogMs) : flood.maxBacklogMs
        const backlog = (away / 1000) * trafficProfile(identity.device).nominalRate
        const publisher = publishers.touch(signal.clientId, now, create(identity))
        // In bytes too: the backlog is messages of up to bytesPerMessage each, like the rest of its traffic.
        publisher.messages.credit(backlog, now)
        publisher.bytes.credit(backlog * flood.bytesPerMessage, now)
        return
      }
      if (signal.type !== 'publish') return
      let publisher = publishers.get(signal.clientId)
      if (publisher) publisher.lastSeen = now
      else publisher = publishers.touch(signal.clientId, now, create(signal.identity))
      const lastSecond = publisher.perSecond.add(now)
      const withinRate = publisher.messages.take(now)
      const withinBytes = publisher.bytes.take(now, signal.payloadBytes)
      if (withinRate && withinBytes) return
      report({
        type: 'publish-flood',
        severity: 'high',
        source: sourceOf(signal.clientId, signal.address, signal.identity),
        evidence: {
          over: withinRate ? 'bytes' : 'messages',
          messagesPerSecond: Math.round(lastSecond),
          allowedPerSecond: publisher.messages.ratePerSecond,
          allowedBytesPerSecond: publisher.bytes.ratePerSecond,
          payloadBytes: signal.payloadBytes,
          topic: signal.topic,
        },
        key: signal.clientId,
      })
    },
    sweep: (now) => publishers.sweep(now),
  }
}

export const publishFlood = defineDetector({ configKey: 'publishFlood', config: publishFloodConfig, create: publishFloodDetector })
