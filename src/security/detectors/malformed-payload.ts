import { z } from 'zod'
import { defineDetector, durationMs, positiveCount, type Detector, type DetectorContext } from '../detector.ts'
import { KeyedTable, SlidingCount } from '../windows.ts'

interface ClientState {
  lastSeen: number
  rejected: SlidingCount
}

/** Its thresholds: the security configuration's `malformedPayload`. */
export const malformedPayloadConfig = z
  .object({
    windowMs: durationMs.default(60_000),
    /** Quarantined messages from one client in the window: a device with a bug fails a few times, a fuzzer keeps going. */
    perClient: positiveCount.default(5),
  })
  .strict()

/**
 * Bursts of messages the pipeline quarantined, per client: a device with a firmware bug fails now
 * and then; a client that keeps sending what does not parse or fit its schema is fuzzing the
 * pipeline (CICIoMT2024 Malformed_Data) or has been taken over.
 */
function malformedPayloadDetector({ config, memory }: DetectorContext<z.output<typeof malformedPayloadConfig>>): Detector {
  const { windowMs, perClient } = config
  const clients = new KeyedTable<ClientState>(memory)
  return {
    name: 'malformed-payload',
    onQuarantine(message, reason, now, report) {
      const count = clients.touch(message.source.clientId, now, (at) => ({ lastSeen: at, rejected: new SlidingCount(windowMs) })).rejected.add(now)
      if (count < perClient) return
      report({
        type: 'malformed-payload',
        severity: 'medium',
        source: { clientId: message.source.clientId, address: message.source.address, ...(message.device ? { deviceId: message.device.deviceId } : {}) },
        evidence: { rejectedInWindow: Math.round(count), windowMs, lastReason: reason, lastTopic: message.topic, payloadBytes: message.payload.length },
        key: message.source.clientId,
      })
    },
    sweep: (now) => clients.sweep(now),
  }
}

export const malformedPayload = defineDetector({ configKey: 'malformedPayload', config: malformedPayloadConfig, create: malformedPayloadDetector })
