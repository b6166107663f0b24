import type { SecurityConfig } from '../config.ts'
import type { Detector } from '../detector.ts'
import { KeyedTable, SlidingCount } from '../windows.ts'

interface ClientState {
  lastSeen: number
  rejected: SlidingCount
}

/**
 * Bursts of messages the pipeline quarantined, per client: a device with a firmware bug fails now
 * and then; a client that keeps sending what does not parse or fit its schema is fuzzing the
 * pipeline (CICIoMT2024 Malformed_Data) or has been taken over.
 */
export function malformedPayloadDetector(config: SecurityConfig): Detector {
  const { windowMs, perClient } = config.malformedPayload
  const clients = new KeyedTable<ClientState>(config.memory)
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
